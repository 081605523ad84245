//go:build unix

package supervisor

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestResolveUsesRunDir checks issue 13, finding 18b: a relative command
// is looked up in run.dir, where the exec shim runs it, not in Dir.
func TestResolveUsesRunDir(t *testing.T) {
	t.Parallel()
	dir, runDir := t.TempDir(), t.TempDir()
	s := &Supervisor{dir: dir, cfg: Config{RunDir: runDir}}
	for argv0, want := range map[string]string{
		"./app":   filepath.Join(runDir, "app"),
		"bin/app": filepath.Join(runDir, "bin", "app"),
		"/x/app":  "/x/app",
	} {
		if got := s.resolve(argv0); got != want {
			t.Errorf("resolve(%q) = %q, want %q", argv0, got, want)
		}
	}
	s.cfg.RunDir = ""
	if got, want := s.resolve("./app"), filepath.Join(dir, "app"); got != want {
		t.Errorf("without run.dir, resolve(./app) = %q, want %q", got, want)
	}
}

// TestWatchBinaryInRunDir checks issue 13, finding 18b with a real child:
// `serve --run-dir D --watch-binary -- ./app` watches D/app and swaps when
// it is replaced.
func TestWatchBinaryInRunDir(t *testing.T) {
	t.Parallel()
	dir, runDir := t.TempDir(), t.TempDir()
	writeScript(t, runDir, "app", "exec sleep 300\n")
	h := newHarness(t, config(func(c *Config) {
		c.Command = []string{"./app"}
		c.Dir, c.RunDir = dir, runDir
		c.WatchBinary = true
		c.Ready, c.ReadyDelay = ReadyDelay, 0
		c.StopTimeout = time.Second
	}))
	w := waitFor[Watching](t, h, nil)
	if w.Root != runDir {
		t.Errorf("watching %s, want run.dir %s", w.Root, runDir)
	}
	waitFor[ChildReady](t, h, nil)
	// A deploy: a new file renamed into place.
	app := writeScript(t, runDir, "app.new", "# v2\nexec sleep 300\n")
	if err := os.Rename(app, filepath.Join(runDir, "app")); err != nil {
		t.Fatal(err)
	}
	waitFor[Swapped](t, h, nil)
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
