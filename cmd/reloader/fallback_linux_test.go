package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/logline"
)

// An app that binds its own port, run through a `sh -c` wrapper with no
// -l and the default restart and readiness rules: the first edit's child
// cannot bind next to the old one, reloader falls back to sequential
// restarts, says so once, and every edit is served. The build is
// cheapBuild's copy of a prebuilt binary; VERSION beside it is what the
// app serves. The app sends READY=1 once bound, and the ready delay is
// raised to 60s, so a new child is never taken as ready before it tried
// its bind, however slowly a loaded machine starts it (over 2s seen): the
// conflict happens every run.
func TestFallbackShWrapperServesEveryEdit(t *testing.T) {
	t.Parallel()
	s := newSession(t, writeApp(t, "bindapp"))
	build := cheapBuild(t, "bindapp") // --build-command SH --run-binary BIN
	bin := build[3]
	s.r = startReloader(t, s.dir, "--debounce", "20ms", "--ready-delay", "60s", build[0], build[1], "--env", "ADDR="+s.addr,
		"--", "sh", "-c", bin+"; echo app exited")
	checkFallback(t, s, func(v string) { setVersion(t, s.dir, v) })
}

// A non-Go app, python3 -m http.server on a port it binds itself, with no
// -l and default settings, serves every edit of the file it serves. The
// wrapper copies the file into a directory of the child's own at start,
// so a generation serves the version it started with, as a built app
// would. The old python keeps its port until it is killed: the wrapper
// starts it with SIGTERM ignored, and the stop timeout is 10s, so the new
// python meets it every run even when it binds long after the ready delay
// (Python took over 5s to start on the loaded test machine); it is then
// taken as ready, fails to bind, and reloader falls back all the same.
func TestFallbackPythonServesEveryEdit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skipf("python3: %v", err)
	}
	s := newSession(t, t.TempDir())
	page := filepath.Join(s.dir, "index.html")
	write(t, page, "version=v1\n")
	_, port, _ := strings.Cut(s.addr, ":")
	snaps := t.TempDir()
	run := fmt.Sprintf(`trap "" TERM; d=$(mktemp -d -p %s) && cp index.html "$d"/ && exec python3 -m http.server %s --bind 127.0.0.1 --directory "$d"`, snaps, port)
	s.r = startReloader(t, s.dir, "--debounce", "20ms", "--ext", "html", "--stop-timeout", "10s", "--", "sh", "-c", run)
	checkFallback(t, s, func(v string) { write(t, page, "version="+v+"\n") })
}

// checkFallback waits for the first child to serve v1, makes three edits
// with edit (v2, v3, v4) and checks that each is served, that no start
// failed, and that the sequential_fallback explanation came exactly once,
// naming the app's address.
func checkFallback(t *testing.T, s *session, edit func(version string)) {
	t.Helper()
	s.waitReady()
	wantServed(t, s.url, "version=v1")
	for i := 2; i <= 4; i++ {
		v := fmt.Sprintf("v%d", i)
		from := s.r.mark()
		edit(v)
		line, next := s.r.waitFor(from, "event=swapped or event=start_failed", func(l string) bool {
			return logline.Is(l, "swapped") || logline.Is(l, "start_failed")
		}, 90*time.Second)
		if logline.Is(line, "start_failed") {
			t.Fatalf("edit %s: the new child failed and the edit is not served: %s", v, line)
		}
		s.seen = next
		wantServed(t, s.url, "version="+v)
	}
	fb := s.r.events(0, "sequential_fallback")
	if len(fb) != 1 {
		t.Fatalf("%d sequential_fallback lines, want exactly 1", len(fb))
	}
	_, port, _ := strings.Cut(s.addr, ":")
	// The address is named when the old group still held it at the
	// failure; a python that failed after the old one was gone (a slow
	// start on a loaded machine) leaves it empty.
	if a := fb[0]["addr"]; (a != "" && !strings.HasSuffix(a, ":"+port)) || !strings.Contains(fb[0]["zero_downtime"], "listenfd") {
		t.Errorf("sequential_fallback = %v, want the port of %s and the ways to zero downtime", fb[0], s.addr)
	}
	if n := len(s.r.events(0, "start_failed")); n != 0 {
		t.Errorf("%d start_failed lines, want none", n)
	}
}

// wantServed waits until a request to url is answered with want. The
// previous generation may answer meanwhile, and a slow app binds its port
// after it was taken as ready; it fails the test after 60s.
func wantServed(t *testing.T, url, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		body, err := get(url)
		if err == nil && strings.HasPrefix(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %q, %v after 60s; want %q", url, body, err, want)
		}
	}
}
