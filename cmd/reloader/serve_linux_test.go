package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe runs `reloader serve --pid-file DIR/reloader.pid` on a
// prebuilt stock server, with a 50ms ready delay. With self set, reloader
// runs from a copy in the session's directory (tableflip re-executes the
// path it was started as), returned too.
func startServe(t *testing.T, self bool, extra ...string) (*session, string) {
	t.Helper()
	return startServeOf(t, []string{buildServer(t, "stock")}, self, extra...)
}

// startServeOf is startServe on the server command argv.
func startServeOf(t *testing.T, argv []string, self bool, extra ...string) (*session, string) {
	t.Helper()
	s := newSession(t, t.TempDir())
	path := reloaderBin
	if self {
		path = copyReloader(t, s.dir)
	}
	args := append([]string{"serve", "-l", "web=" + s.addr, "--ready-delay", "50ms", "--pid-file", filepath.Join(s.dir, "reloader.pid")}, extra...)
	s.r = startReloaderAt(t, path, s.dir, nil, append(append(args, "--"), argv...)...)
	s.waitReady()
	return s, path
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %q", path, b)
	}
	return pid
}

func TestServeSIGHUPSwapsUnderLoad(t *testing.T) {
	t.Parallel()
	s, _ := startServe(t, false)
	pidFile := filepath.Join(s.dir, "reloader.pid")
	s.r.waitEvent(0, "serve_ready", 30*time.Second) // the pid file is written
	if pid := readPID(t, pidFile); pid != s.r.cmd.Process.Pid {
		t.Errorf("pid file names %d, want reloader %d", pid, s.r.cmd.Process.Pid)
	}
	l := startLoad(s.url)
	waitServed(t, l, "pid="+strconv.Itoa(s.pids[0])+"\n", 30*time.Second)
	const n = 6
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			s.hup(l)
			continue
		}
		// The same through the control command.
		if code := runWithIO(t.Context(), []string{"reload", "--pid-file", pidFile}, ioStreams{Out: &strings.Builder{}, Err: &strings.Builder{}}); code != 0 {
			t.Fatalf("reloader reload exit %d", code)
		}
		pid := s.waitReady()
		if pid == s.pids[len(s.pids)-2] {
			t.Fatalf("swap %d kept pid %d", i+1, pid)
		}
		waitServed(t, l, "pid="+strconv.Itoa(pid)+"\n", 30*time.Second)
	}
	res := l.Finish()
	t.Logf("serve: %d swaps (SIGHUP and reloader reload): %v", n, res)
	if res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	s.shutdown()
}

func TestServeSelfUpgradeUnderLoad(t *testing.T) {
	t.Parallel()
	s, _ := startServe(t, false)
	first := s.pids[0]
	pidFile := filepath.Join(s.dir, "reloader.pid")
	oldSup := s.r.cmd.Process.Pid
	l := startLoad(s.url)
	waitServed(t, l, "pid="+strconv.Itoa(first)+"\n", 30*time.Second)

	from := s.seen
	s.r.cmd.Process.Signal(syscall.SIGUSR2)
	child := s.waitReady() // the new reloader's first child
	// The new reloader wrote the pid file. Its line and the old reloader's
	// may come in any order around the child's.
	for {
		a, next := s.r.waitEvent(from, "serve_ready", 30*time.Second)
		if a["pid"] != strconv.Itoa(oldSup) {
			break
		}
		from = next
	}
	s.r.waitEvent(from, "upgraded", 30*time.Second)
	select {
	case <-s.r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the old reloader did not exit after the upgrade")
	}
	newSup := readPID(t, pidFile)
	if newSup == oldSup {
		t.Fatalf("pid file still names the old reloader %d", oldSup)
	}
	t.Cleanup(func() {
		syscall.Kill(newSup, syscall.SIGINT)
		<-s.r.eof
	})
	waitServed(t, l, "pid="+strconv.Itoa(child)+"\n", 30*time.Second)
	res := l.Finish()
	t.Logf("self-upgrade: %v", res)
	if res.Failed() != 0 {
		t.Errorf("failed requests across the self-upgrade: %v", res)
	}
	// tableflip's pipes and sentinel never reach the app.
	env, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/environ")
	if strings.Contains(string(env), "TABLEFLIP") {
		t.Error("the app inherited tableflip's environment variable")
	}
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(child) + "/fd")
	for _, fd := range fds {
		n, _ := strconv.Atoi(fd.Name())
		link, _ := os.Readlink("/proc/" + strconv.Itoa(child) + "/fd/" + fd.Name())
		if n > 2 && strings.HasPrefix(link, "pipe:") {
			t.Errorf("the app has a pipe at fd %d (%s): tableflip's fds leaked", n, link)
		}
	}
	if err := syscall.Kill(oldSup, 0); err == nil {
		t.Errorf("old reloader %d still exists", oldSup)
	}
	if err := syscall.Kill(first, 0); err == nil {
		t.Errorf("the old reloader's child %d still exists", first)
	}
}

func TestSystemdSocketActivation(t *testing.T) {
	t.Parallel()
	ssa := socketActivate(t)
	bin := buildServer(t, "listenfd")
	for _, tt := range []struct {
		name string
		argv []string
	}{
		{"reloader serve passes the socket on", []string{reloaderBin, "serve", "--", bin}},
		{"the app alone", []string{bin}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := freePort(t)
			args := append([]string{"-l", addr, "--fdname=web"}, tt.argv...)
			cmd := exec.Command(ssa, args...)
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}()
			// systemd-socket-activate listens at once and starts the program
			// on the first connection, which waits in the backlog meanwhile.
			var body string
			var err error
			for i := 0; i < 200; i++ {
				if body, err = get("http://" + addr + "/"); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond) // the listener may not exist yet
			}
			if err != nil || !strings.HasPrefix(body, "version=v1 pid=") {
				t.Fatalf("GET = %q, %v", body, err)
			}
		})
	}
}

func TestServeSwapsWhenTheBinaryIsReplaced(t *testing.T) {
	t.Parallel()
	bin := copyServer(t, "stock")
	s := newSession(t, t.TempDir())
	s.r = startReloader(t, s.dir, "serve", "-l", s.addr, "--ready-delay", "50ms", "--watch-binary", "--", bin)
	s.waitReady()
	// A deploy renames a new build into place.
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	tmp := bin + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	if pid := s.waitReady(); pid == s.pids[0] {
		t.Fatalf("no new child after the binary was replaced")
	}
	waitPid(t, s.url, s.pids[1])
	s.shutdown()
}

func TestServeFailedUpgradeKeepsServing(t *testing.T) {
	t.Parallel()
	s, self := startServe(t, true, "--upgrade-timeout", "10s")
	first := s.pids[0]
	l := startLoad(s.url)
	waitServed(t, l, "pid="+strconv.Itoa(first)+"\n", 30*time.Second)
	// Put a binary that fails at once where tableflip will re-execute.
	if err := os.Remove(self); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(self, []byte("#!/bin/sh\necho broken upgrade >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.r.cmd.Process.Signal(syscall.SIGUSR2)
	s.r.waitEvent(s.seen, "upgrade_failed", 30*time.Second)
	select {
	case <-s.r.done:
		t.Fatal("reloader exited after a failed upgrade")
	default:
	}
	waitServed(t, l, "pid="+strconv.Itoa(first)+"\n", 10*time.Second)
	if res := l.Finish(); res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	s.shutdown()
}
