package main

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
)

// session is a reloader running an app, usually under load.
type session struct {
	t    *testing.T
	dir  string
	addr string
	url  string
	r    *reloaderProc
	pids []int // every child that became ready
	seen int   // log index already searched
}

func newSession(t *testing.T, dir string) *session {
	s := &session{t: t, dir: dir, addr: freePort(t)}
	s.url = "http://" + s.addr + "/"
	return s
}

// startSession runs `go run .` in a new module of the server, watched,
// with a 20ms debounce: edits build and swap.
func startSession(t *testing.T, server string, extra ...string) *session {
	t.Helper()
	s := newSession(t, newApp(t, server))
	args := append([]string{"-l", "web=" + s.addr, "--debounce", "20ms"}, extra...)
	args = append(args, "--", "go", "run", ".")
	s.r = startReloader(t, s.dir, args...)
	s.waitReady()
	return s
}

// startBinSession runs a prebuilt binary of the server, unwatched, with a
// 50ms ready delay (for servers that send no READY=1); env is added to the
// app's environment. Swaps come from SIGHUP (hup), without a build.
func startBinSession(t *testing.T, server string, env []string, extra ...string) *session {
	t.Helper()
	bin := buildServer(t, server)
	s := newSession(t, t.TempDir())
	args := []string{"-l", "web=" + s.addr, "--watch=false", "--ready-delay", "50ms"}
	for _, kv := range env {
		args = append(args, "--env", kv)
	}
	args = append(append(args, extra...), "--", bin)
	s.r = startReloader(t, s.dir, args...)
	s.waitReady()
	return s
}

// waitReady waits for the next child_ready event and records its pid.
func (s *session) waitReady() int {
	s.t.Helper()
	a, next := s.r.waitEvent(s.seen, "child_ready", buildWait)
	s.seen = next
	pid, err := strconv.Atoi(a["pid"])
	if err != nil {
		s.t.Fatalf("child_ready without a pid: %v", a)
	}
	s.pids = append(s.pids, pid)
	return pid
}

// hup forces a swap with SIGHUP and waits until the load gets a response
// from the new child.
func (s *session) hup(l *loadgen.Load) int {
	s.t.Helper()
	old := s.pids[len(s.pids)-1]
	s.r.cmd.Process.Signal(syscall.SIGHUP)
	pid := s.waitReady()
	if pid == old {
		s.t.Fatalf("SIGHUP swap kept pid %d", pid)
	}
	waitServed(s.t, l, "pid="+strconv.Itoa(pid)+"\n", 30*time.Second)
	return pid
}

// hups runs n SIGHUP swaps under load and returns the load's result.
func (s *session) hups(n int) *loadgen.Result {
	s.t.Helper()
	l := startLoad(s.url)
	waitServed(s.t, l, "pid="+strconv.Itoa(s.pids[0])+"\n", 30*time.Second)
	for range n {
		s.hup(l)
	}
	return l.Finish()
}

// edit sets a new version and waits until the load sees it served.
func (s *session) edit(l *loadgen.Load, v string) {
	s.t.Helper()
	setVersion(s.t, s.dir, v)
	s.waitReady()
	waitServed(s.t, l, "version="+v+" ", 30*time.Second)
}

// edits runs n edits under load (v2, v3, ...) and returns the result.
func (s *session) edits(n int) *loadgen.Result {
	s.t.Helper()
	l := startLoad(s.url)
	waitServed(s.t, l, "version=v1 ", 30*time.Second)
	for i := 2; i <= n+1; i++ {
		s.edit(l, "v"+strconv.Itoa(i))
	}
	res := l.Finish()
	if got := len(s.pids); got != n+1 {
		s.t.Errorf("children that became ready = %d, want %d", got, n+1)
	}
	return res
}

// shutdown sends SIGINT and checks reloader exits 0, every child is gone
// and the port is free.
func (s *session) shutdown() {
	s.t.Helper()
	if code := s.r.stop(syscall.SIGINT); code != 0 {
		s.t.Errorf("reloader exit code after SIGINT = %d, want 0", code)
	}
	for _, pid := range s.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			s.t.Errorf("child pid %d still exists after reloader exited (kill 0: %v)", pid, err)
		}
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Errorf("port not free after reloader exited: %v", err)
	} else {
		ln.Close()
	}
}

// checkStock asserts what the shared socket guarantees to a server that
// drains with a plain Shutdown: nothing refused, reset or timed out.
func checkStock(t *testing.T, name string, res *loadgen.Result) {
	t.Helper()
	f := res.Failures()
	for _, kind := range []string{"refused", "reset", "timeout", "other"} {
		if n := f[kind]; n != 0 {
			t.Errorf("%s requests = %d, want 0: %v", kind, n, res)
		}
	}
	// The shared socket still races the old child's Shutdown now and then
	// (golang/go#65802); connection steering removes that. Report it.
	t.Logf("%s: EOF (accepted just before Shutdown) = %d", name, f["eof"])
}
