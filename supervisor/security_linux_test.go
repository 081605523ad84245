package supervisor

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Each supervisor has its own private notify directory, 0700 and owned by
// its user, and removes it when it stops.
func TestNotifyDirIsPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, DefaultConfig())
	other := newHarness(t, DefaultConfig())
	h.waitReady()
	other.waitReady()
	if h.s.notifyDir == other.s.notifyDir {
		t.Errorf("two supervisors share the notify dir %s", h.s.notifyDir)
	}
	fi, err := os.Stat(h.s.notifyDir)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o700 || int(st.Uid) != os.Getuid() {
		t.Errorf("notify dir %s: mode %v uid %d, want 0700 and uid %d", h.s.notifyDir, fi.Mode().Perm(), st.Uid, os.Getuid())
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := os.Stat(h.s.notifyDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("notify dir %s left behind after Run: %v", h.s.notifyDir, err)
	}
}

func TestReadyFromAnotherProcessIsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config(func(c *Config) { c.Ready, c.ReadyTimeout = ReadyNotify, 3*time.Second }))
	first := h.waitReady()["pid"]
	h.setMode("quiet") // the next child never sends READY=1
	h.s.Reload("test")
	started := h.log.event(t, &h.logFrom, "child_started")
	gen := started["gen"]
	// This test process is not in the child's process group: its READY=1
	// must not make the silent child ready.
	c, err := net.Dial("unixgram", filepath.Join(h.s.notifyDir, "notify-"+gen))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("READY=1"))
	c.Close()
	warn := h.log.wait(t, &h.logFrom, "ignored notify message from a process outside the child")
	if warn["sender_pid"] != strconv.Itoa(os.Getpid()) {
		t.Errorf("ignored sender %s, want this test process %d", warn["sender_pid"], os.Getpid())
	}
	failed := h.log.event(t, &h.logFrom, "start_failed")
	if failed["pid"] != first {
		t.Errorf("kept pid %s, want %s", failed["pid"], first)
	}
}
