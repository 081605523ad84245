package supervisor

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// exitedWithin reports whether pid has exited within d, on a pidfd, which
// becomes readable when the process ends whoever its parent is.
func exitedWithin(pid int, d time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true // already gone
	}
	defer unix.Close(fd)
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(d.Milliseconds()))
	return err == nil && n == 1
}

// A child that ignores SIGTERM, and the grandchild it started, are killed
// as a process group once stop_timeout has passed, and the log says so.
func TestStubbornChildIsKilledAfterStopTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	h := newHarnessMode(t, config(func(c *Config) { c.StopTimeout, c.Ready = timeout, ReadyNotify }), "stubborn")
	first := h.waitReady()["pid"]
	m := regexp.MustCompile(`grandchild=(\d+)`).FindStringSubmatch(get(t, h.url))
	if m == nil || m[1] == "0" {
		t.Fatalf("the stubborn child reported no grandchild: %v", m)
	}
	grandchild, _ := strconv.Atoi(m[1])
	h.setMode("serve")
	h.s.Reload("test")
	h.waitReady()
	stopping := h.log.event(t, &h.logFrom, "stopping")
	killing := h.log.event(t, &h.logFrom, "killed")
	if stopping["pid"] != first || killing["pid"] != first {
		t.Errorf("stopping pid %s, killing pid %s; want the stubborn child %s", stopping["pid"], killing["pid"], first)
	}
	t1, _ := time.Parse(time.RFC3339Nano, stopping["_time"])
	t2, _ := time.Parse(time.RFC3339Nano, killing["_time"])
	if waited := t2.Sub(t1); waited < timeout {
		t.Errorf("killed %v after the stop signal, before stop_timeout (%v)", waited, timeout)
	}
	exited := h.log.event(t, &h.logFrom, "child_exited")
	if exited["pid"] != first || !strings.Contains(exited["status"], "killed") {
		t.Errorf("child exited %v, want pid %s killed", exited, first)
	}
	if !exitedWithin(grandchild, 10*time.Second) {
		t.Errorf("grandchild %d of the stubborn child survived its group's SIGKILL", grandchild)
	}
}
