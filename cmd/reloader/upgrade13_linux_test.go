package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Issue 13, findings 1 to 4: a socket someone else still holds must not
// keep new connections away from the serving child. Every client opens a
// new connection per request, so each request after an event meets the
// sockets as they are then.

var released13 = regexp.MustCompile(`event=inherited_released`)

// upgrade13 self-upgrades the serve reloader r (pid sup) under load and
// waits until the new reloader has released what the old one handed over.
// It returns the new reloader's pid.
func upgrade13(t *testing.T, r *proc13, l *load13, sup int) int {
	t.Helper()
	from := r.mark()
	signal13(t, sup, syscall.SIGUSR2)
	m, _ := r.wait(from, regexp.MustCompile(`event=upgraded`))
	_ = m
	var newSup int
	for at := from; ; {
		m, next := r.wait(at, serving13)
		if pid, _ := strconv.Atoi(m[1]); pid != sup {
			newSup = pid
			break
		}
		at = next
	}
	t.Cleanup(func() { syscall.Kill(newSup, syscall.SIGKILL) })
	r.wait(from, released13) // the old reloader is gone
	child, _ := r.wait(from, ready13)
	pid, _ := strconv.Atoi(child[1])
	l.served(t, 200, pid)
	return newSup
}

// Finding 1: after a self-upgrade with -l, every new connection hung.
func TestSelfUpgradeServesNewConnections13(t *testing.T) {
	t.Parallel()
	app := buildApp13(t, "stock")
	addr := freePort13(t)
	pidFile := filepath.Join(t.TempDir(), "reloader.pid")
	r := start13(t, nil, reloaderBin, "serve", "-l", "web="+addr, "--pid-file", pidFile, "--", app)
	m, _ := r.wait(0, serving13)
	sup, _ := strconv.Atoi(m[1])
	l := startLoad13("http://"+addr+"/", 4)
	l.served(t, 50, 0)
	newSup := upgrade13(t, r, l, sup)
	r.exited() // the old reloader
	if strings.Contains(r.output(), "unexpected listener") {
		t.Error("a socket of ours was blamed on another process")
	}
	l.finish(t)
	syscall.Kill(newSup, syscall.SIGTERM)
}

// Finding 4: self-upgrade with sockets from systemd socket activation and
// no -l: the new reloader owned no sockets and its child crash-looped.
func TestSelfUpgradeWithSocketActivation13(t *testing.T) {
	t.Parallel()
	ssa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-socket-activate is missing; .ci/run installs it")
		}
		t.Skip("systemd-socket-activate not installed (Debian package systemd)")
	}
	// Without SO_REUSEPORT on systemd-socket-activate's socket, the
	// generations share it: an app that drains with listenfd loses nothing
	// there (a stock server may drop a connection it accepted just before
	// its Shutdown, golang/go#65802).
	app := buildApp13(t, "listenfd")
	addr := freePort13(t)
	pidFile := filepath.Join(t.TempDir(), "reloader.pid")
	r := start13(t, nil, ssa, "-l", addr, "--fdname=web", reloaderBin, "serve", "--upgrade-timeout", "30s", "--pid-file", pidFile, "--", app)
	// systemd-socket-activate listens, then starts reloader on the first
	// connection, which waits in the backlog meanwhile.
	r.wait(0, regexp.MustCompile(`Listening on .* as 3`))
	l := startLoad13("http://"+addr+"/", 4)
	m, _ := r.wait(0, serving13)
	sup, _ := strconv.Atoi(m[1])
	l.served(t, 50, 0)
	newSup := upgrade13(t, r, l, sup)
	if got := readPID(t, pidFile); got != newSup {
		t.Errorf("pid file names %d, want the new reloader %d", got, newSup)
	}
	l.finish(t)
	syscall.Kill(newSup, syscall.SIGTERM)
}

// Finding 2: a failed upgrade left tableflip a copy of the serving socket,
// and the next swap hung every new connection.
func TestFailedUpgradeThenSwap13(t *testing.T) {
	t.Parallel()
	app := buildApp13(t, "stock")
	addr := freePort13(t)
	// The new reloader cannot be ready within 1ns: the upgrade fails.
	r := start13(t, nil, reloaderBin, "serve", "-l", addr, "--upgrade-timeout", "1ns", "--", app)
	m, _ := r.wait(0, serving13)
	sup, _ := strconv.Atoi(m[1])
	first, _ := r.wait(0, ready13)
	l := startLoad13("http://"+addr+"/", 4)
	l.served(t, 50, 0)
	from := r.mark()
	signal13(t, sup, syscall.SIGUSR2)
	r.wait(from, regexp.MustCompile(`event=upgrade_failed`))
	l.served(t, 50, 0)
	from = r.mark()
	signal13(t, sup, syscall.SIGHUP)
	next, _ := r.wait(from, ready13)
	r.wait(from, regexp.MustCompile(`event=child_exited pid=`+first[1]+` `))
	pid, _ := strconv.Atoi(next[1])
	l.served(t, 200, pid)
	l.finish(t)
	signal13(t, sup, syscall.SIGTERM)
	r.exited()
}

// Finding 3: a detached process that inherited an old generation's fd 3
// broke steering for good after the next swap.
func TestDetachedHolderAcrossSwaps13(t *testing.T) {
	t.Parallel()
	app := buildApp13(t, "detach")
	detached := filepath.Join(t.TempDir(), "detached")
	t.Cleanup(func() {
		b, _ := os.ReadFile(detached)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	addr := freePort13(t)
	r := start13(t, []string{"DETACH_FILE=" + detached}, reloaderBin, "serve", "-l", addr, "--", app)
	m, _ := r.wait(0, serving13)
	sup, _ := strconv.Atoi(m[1])
	prev, _ := r.wait(0, ready13)
	l := startLoad13("http://"+addr+"/", 4)
	l.served(t, 50, 0)
	for i := 0; i < 5; i++ {
		from := r.mark()
		signal13(t, sup, syscall.SIGHUP)
		next, _ := r.wait(from, ready13)
		r.wait(from, regexp.MustCompile(`event=child_exited pid=`+prev[1]+` `))
		pid, _ := strconv.Atoi(next[1])
		l.served(t, 100, pid)
		prev = next
	}
	l.finish(t)
	if strings.Contains(r.output(), "unexpected listener") {
		t.Error("our own retired socket was blamed on another process")
	}
	signal13(t, sup, syscall.SIGTERM)
	r.exited()
}
