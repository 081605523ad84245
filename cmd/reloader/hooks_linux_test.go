package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startWithConfig writes .reloader.toml into a new "stock" app (listen is
// added) and starts reloader there with only cheapBuild's flags: edits
// build and swap without a compiler.
func startWithConfig(t *testing.T, config string) *session {
	t.Helper()
	s := newSession(t, writeApp(t, "stock"))
	write(t, filepath.Join(s.dir, DefaultConfigFile), fmt.Sprintf("listen = [%q]\n%s", s.addr, config))
	s.r = startReloader(t, s.dir, cheapBuild(t, "stock")...)
	s.waitReady()
	return s
}

// served returns the body of one request, failing the test on error.
func (s *session) served() string {
	s.t.Helper()
	body, err := get(s.url)
	if err != nil {
		s.t.Fatalf("GET %s: %v", s.url, err)
	}
	return body
}

// wait waits for a line matching re (app or hook output) after the last
// one waited for.
func (s *session) wait(re string) []string {
	s.t.Helper()
	m, next := s.r.waitLine(s.seen, regexp.MustCompile(re), buildWait)
	s.seen = next
	return m
}

// waitEvent waits for event=name with the attributes in want after the
// last line waited for.
func (s *session) waitEvent(name string, want ...string) map[string]string {
	s.t.Helper()
	a, next := s.r.waitEvent(s.seen, name, buildWait, want...)
	s.seen = next
	return a
}

func TestInitConfigServes(t *testing.T) {
	t.Parallel()
	s := newSession(t, newApp(t, "stock"))
	init := exec.Command(reloaderBin, "init", "--listen", s.addr)
	init.Dir = s.dir
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("reloader init: %v\n%s", err, out)
	}
	dir := s.dir
	s.r = startReloader(t, dir)
	s.waitReady()
	if body := s.served(); !strings.HasPrefix(body, "version=v1 ") {
		t.Errorf("served %q", body)
	}
	setVersion(t, dir, "v2")
	s.waitReady()
	waitPid(t, s.url, s.pids[1])
	s.shutdown()
}

func TestHooks(t *testing.T) {
	t.Parallel()
	marks := t.TempDir()
	s := startWithConfig(t, fmt.Sprintf(`
[build]
env = { MARKS = %q }
[watch]
debounce = "20ms"
[hooks]
pre_build = ["sh", "-c", "echo pre_build ran; test ! -e \"$MARKS/fail\""]
post_swap = "echo swapped to $RELOADER_PID"
`, marks))
	_, afterPre := s.r.waitLine(0, regexp.MustCompile(`^\[pre_build\] pre_build ran$`), time.Second)
	if _, afterReady := s.r.waitEvent(0, "child_ready", time.Second); afterPre > afterReady {
		t.Errorf("pre_build did not run before the first start")
	}

	s.waitEvent("hook_done", "pid="+strconv.Itoa(s.pids[0]))

	// A failing pre_build is a failed build: the old child keeps serving.
	write(t, filepath.Join(marks, "fail"), "")
	failFrom := s.r.mark()
	setVersion(t, s.dir, "v2")
	failed := s.waitEvent("build_failed", "err=hooks.pre_build: exit status 1")
	if failed["pid"] != strconv.Itoa(s.pids[0]) {
		t.Errorf("kept pid %s, want %d", failed["pid"], s.pids[0])
	}
	if body := s.served(); !strings.HasPrefix(body, "version=v1 ") {
		t.Errorf("after a failed pre_build: %q", body)
	}
	if strings.Contains(strings.Join(strings.Split(s.r.output(), "\n")[failFrom:], "\n"), "post_swap") {
		t.Error("post_swap ran without a swap")
	}

	// Once it passes, the build and swap go on and post_swap runs after.
	os.Remove(filepath.Join(marks, "fail"))
	setVersion(t, s.dir, "v3")
	pid := s.waitReady()
	s.waitEvent("swapped", "new_pid="+strconv.Itoa(pid))
	s.wait(`^\[post_swap\] swapped to ` + strconv.Itoa(pid) + `$`)
	s.waitEvent("hook_done", "pid="+strconv.Itoa(pid))
	waitPid(t, s.url, pid)
	s.shutdown()
}

// TestEditsDuringOneBuild makes three edits while a build is held in its
// pre_build hook (blocked reading a fifo), then releases it. What is
// written while the hook runs is no new change (a generator's output): the
// build that follows the hook sees the edits, so no build restarts, and the
// one swap serves the last edit.
func TestEditsDuringOneBuild(t *testing.T) {
	t.Parallel()
	gate := filepath.Join(t.TempDir(), "gate")
	s := startWithConfig(t, fmt.Sprintf(`
[watch]
debounce = "20ms"
[hooks]
pre_build = ["sh", "-c", "if [ -p %[1]s ]; then echo waiting; cat %[1]s >/dev/null; fi"]
`, gate))
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	from := s.r.mark()
	setVersion(t, s.dir, "v2")
	s.waitEvent("building")
	s.wait(`^\[pre_build\] waiting$`)
	for _, v := range []string{"v3", "v4", "v5"} {
		setVersion(t, s.dir, v)
	}
	// Release the held build: the hook's cat sees EOF when we close. Later
	// builds must not wait, so the fifo goes first.
	f, err := os.OpenFile(gate, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open fifo: %v", err)
	}
	os.Remove(gate)
	f.Close()
	pid := s.waitReady()
	s.waitEvent("swapped", "new_pid="+strconv.Itoa(pid))
	waitPid(t, s.url, pid)
	if body := s.served(); !strings.HasPrefix(body, "version=v5 ") {
		t.Errorf("served %q, want v5", body)
	}
	// One more edit closes the count: a build of the edits made during
	// the hook would come before it.
	setVersion(t, s.dir, "v6")
	s.waitEvent("building")
	if n := len(s.r.events(from, "build_restarted")); n != 0 {
		t.Errorf("%d builds restarted by edits during the hook, want 0", n)
	}
	if n := len(s.r.events(from, "building")); n != 2 {
		t.Errorf("%d builds for v2 (v3-v5 during its hook) and v6, want 2", n)
	}
	s.shutdown()
}

func TestPollingPicksUpAnEdit(t *testing.T) {
	t.Parallel()
	s := startWithConfig(t, `
[watch]
poll = true
poll_interval = "50ms"
`)
	if w := s.r.events(0, "watching"); len(w) != 1 || w[0]["poll"] != "true" {
		t.Errorf("reloader did not say it polls: %v", w)
	}
	setVersion(t, s.dir, "v2")
	pid := s.waitReady()
	waitPid(t, s.url, pid)
	if body := s.served(); !strings.HasPrefix(body, "version=v2 ") {
		t.Errorf("served %q", body)
	}
	s.shutdown()
}
