package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
)

// Issue 13, findings 1 to 4: a socket someone else still holds must not
// keep new connections away from the serving child. The load opens a new
// connection per request (startFreshLoad), so each request after an event
// meets the sockets as they are then.

// upgradeUnderLoad self-upgrades the serve reloader r (pid sup) under load
// and waits until the new reloader has released what the old one handed
// over. It returns the new reloader's pid.
func upgradeUnderLoad(t *testing.T, r *reloaderProc, l *loadgen.Load, sup int) int {
	t.Helper()
	from := r.mark()
	sendSignal(t, sup, syscall.SIGUSR2)
	r.waitEvent(from, "upgraded", 90*time.Second)
	var newSup int
	for at := from; ; {
		pid, next := r.eventPid(at, "serve_ready", 90*time.Second)
		if pid != sup {
			newSup = pid
			break
		}
		at = next
	}
	t.Cleanup(func() { syscall.Kill(newSup, syscall.SIGKILL) })
	r.waitEvent(from, "inherited_released", 90*time.Second) // the old reloader is gone
	child, _ := r.eventPid(from, "child_ready", 90*time.Second)
	waitOK(t, l, 200, child)
	return newSup
}

// Finding 1: after a self-upgrade with -l, every new connection hung.
func TestSelfUpgradeServesNewConnections(t *testing.T) {
	t.Parallel()
	app := buildServer(t, "stock")
	addr := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "reloader.pid")
	r := startReloaderAt(t, reloaderBin, t.TempDir(), nil, "serve", "-l", "web="+addr, "--pid-file", pidFile, "--", app)
	sup, _ := r.eventPid(0, "serve_ready", 90*time.Second)
	l := startFreshLoad("http://" + addr + "/")
	waitOK(t, l, 50, 0)
	newSup := upgradeUnderLoad(t, r, l, sup)
	r.exited(90*time.Second, "after the upgrade") // the old reloader
	if strings.Contains(r.output(), "unexpected listener") {
		t.Error("a socket of ours was blamed on another process")
	}
	finishClean(t, l)
	syscall.Kill(newSup, syscall.SIGTERM)
}

// Finding 4: self-upgrade with sockets from systemd socket activation and
// no -l: the new reloader owned no sockets and its child crash-looped.
func TestSelfUpgradeWithSocketActivation(t *testing.T) {
	t.Parallel()
	ssa := socketActivate(t)
	// Without SO_REUSEPORT on systemd-socket-activate's socket, the
	// generations share it: an app that drains with listenfd loses nothing
	// there (a stock server may drop a connection it accepted just before
	// its Shutdown, golang/go#65802).
	app := buildServer(t, "listenfd")
	addr := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "reloader.pid")
	r := startReloaderAt(t, ssa, t.TempDir(), nil, "-l", addr, "--fdname=web", reloaderBin, "serve", "--upgrade-timeout", "30s", "--pid-file", pidFile, "--", app)
	// systemd-socket-activate listens, then starts reloader on the first
	// connection, which waits in the backlog meanwhile.
	r.waitLine(0, regexp.MustCompile(`Listening on .* as 3`), 90*time.Second)
	l := startFreshLoad("http://" + addr + "/")
	sup, _ := r.eventPid(0, "serve_ready", 90*time.Second)
	waitOK(t, l, 50, 0)
	newSup := upgradeUnderLoad(t, r, l, sup)
	if got := readPID(t, pidFile); got != newSup {
		t.Errorf("pid file names %d, want the new reloader %d", got, newSup)
	}
	finishClean(t, l)
	syscall.Kill(newSup, syscall.SIGTERM)
}

// Finding 2: a failed upgrade left tableflip a copy of the serving socket,
// and the next swap hung every new connection.
func TestFailedUpgradeThenSwap(t *testing.T) {
	t.Parallel()
	app := buildServer(t, "stock")
	addr := freePort(t)
	// The new reloader cannot be ready within 1ns: the upgrade fails.
	r := startReloaderAt(t, reloaderBin, t.TempDir(), nil, "serve", "-l", addr, "--upgrade-timeout", "1ns", "--", app)
	sup, _ := r.eventPid(0, "serve_ready", 90*time.Second)
	first, _ := r.eventPid(0, "child_ready", 90*time.Second)
	l := startFreshLoad("http://" + addr + "/")
	waitOK(t, l, 50, 0)
	from := r.mark()
	sendSignal(t, sup, syscall.SIGUSR2)
	r.waitEvent(from, "upgrade_failed", 90*time.Second)
	waitOK(t, l, 50, 0)
	from = r.mark()
	sendSignal(t, sup, syscall.SIGHUP)
	next, _ := r.eventPid(from, "child_ready", 90*time.Second)
	r.waitEvent(from, "child_exited", 90*time.Second, "pid="+strconv.Itoa(first))
	waitOK(t, l, 200, next)
	finishClean(t, l)
	sendSignal(t, sup, syscall.SIGTERM)
	r.exited(90*time.Second, "of SIGTERM")
}

// Finding 3: a detached process that inherited an old generation's fd 3
// broke steering for good after the next swap.
func TestDetachedHolderAcrossSwaps(t *testing.T) {
	t.Parallel()
	app := buildServer(t, "detach")
	detached := filepath.Join(t.TempDir(), "detached")
	t.Cleanup(func() {
		b, _ := os.ReadFile(detached)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	addr := freePort(t)
	r := startReloaderAt(t, reloaderBin, t.TempDir(), []string{"DETACH_FILE=" + detached}, "serve", "-l", addr, "--", app)
	sup, _ := r.eventPid(0, "serve_ready", 90*time.Second)
	prev, _ := r.eventPid(0, "child_ready", 90*time.Second)
	l := startFreshLoad("http://" + addr + "/")
	waitOK(t, l, 50, 0)
	for i := 0; i < 5; i++ {
		from := r.mark()
		sendSignal(t, sup, syscall.SIGHUP)
		next, _ := r.eventPid(from, "child_ready", 90*time.Second)
		r.waitEvent(from, "child_exited", 90*time.Second, "pid="+strconv.Itoa(prev))
		waitOK(t, l, 100, next)
		prev = next
	}
	finishClean(t, l)
	if strings.Contains(r.output(), "unexpected listener") {
		t.Error("our own retired socket was blamed on another process")
	}
	sendSignal(t, sup, syscall.SIGTERM)
	r.exited(90*time.Second, "of SIGTERM")
}
