package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestNotifyDirIsPrivate(t *testing.T) {
	h := newHarness(t, Config{})
	h.waitReady()
	fi, err := os.Stat(h.s.notifyDir)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o700 || int(st.Uid) != os.Getuid() {
		t.Errorf("notify dir %s: mode %v uid %d, want 0700 and uid %d", h.s.notifyDir, fi.Mode().Perm(), st.Uid, os.Getuid())
	}
}

func TestReadyFromAnotherProcessIsIgnored(t *testing.T) {
	h := newHarness(t, Config{Ready: ReadyNotify, ReadyTimeout: 3 * time.Second})
	first := h.waitReady()["pid"]
	h.setMode("quiet") // the next child never sends READY=1
	h.s.Reload("test")
	started := h.log.wait(t, &h.logFrom, "child started")
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
	failed := h.log.wait(t, &h.logFrom, "new child failed; still serving the previous child")
	if failed["pid"] != first {
		t.Errorf("kept pid %s, want %s", failed["pid"], first)
	}
}

func TestUnixSocketModeAndStaleFile(t *testing.T) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.sock")
	log := slog.New(&logSink{more: make(chan struct{}, 1)})
	addrs := []Address{{Name: "sock", Network: "unix", Addr: path}}

	// A live listener keeps its file: the bind fails.
	live, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openGroups(context.Background(), addrs, ListenOptions{BindWait: -1}, true, log); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("bind over a live socket: err = %v, want EADDRINUSE", err)
	}
	// A dead one (its listener closed without unlinking) is replaced.
	live.(*net.UnixListener).SetUnlinkOnClose(false)
	live.Close()
	g, err := openGroups(context.Background(), addrs, ListenOptions{}, true, log)
	if err != nil {
		t.Fatalf("bind over a stale socket file: %v", err)
	}
	defer g.close()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("unix socket mode %v (%v), want 0660", fi.Mode().Perm(), err)
	}
}
