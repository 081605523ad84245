package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/reloader-dev/reloader/internal/portholder"
)

// reloaderBin is the reloader binary the integration tests run, built once
// by TestMain (with -race when the tests run with it).
var reloaderBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	portholder.RunIfAsked()
	moreParallel()
	dir, err := os.MkdirTemp("", "reloader-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	reloaderBin = filepath.Join(dir, "reloader")
	args := []string{"build", "-o", reloaderBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building reloader:", err)
		return 1
	}
	return m.Run()
}

// moreParallel runs up to 4 tests per CPU at once unless -test.parallel
// was given: the end-to-end tests mostly wait on child processes, sockets
// and ready delays, so the default (one per CPU) leaves the CPUs idle.
func moreParallel() {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
}

// repoRoot is the module root, two levels above this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeWhole replaces path with content in one step, as editors that save
// through a temporary file do: a watcher never sees it half-written, which
// on a loaded machine a truncate-then-write can be for longer than a
// debounce.
func writeWhole(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	write(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
