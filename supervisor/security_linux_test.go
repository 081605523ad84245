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

	"golang.org/x/sys/unix"
)

// Each supervisor has its own private notify directory, 0700 and owned by
// its user, and removes it when it stops.
func TestNotifyDirIsPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	other := newHarness(t, Config{})
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

// A datagram without sender credentials is refused: on Linux the kernel
// attaches them to every datagram, so one without is not the child's.
func TestNotifyWithoutCredentialsIsIgnored(t *testing.T) {
	sink := &logSink{more: make(chan struct{}, 1)}
	if fromChild(nil, os.Getpid(), slog.New(sink)) {
		t.Error("a datagram without credentials was taken as the child's")
	}
	from := 0
	sink.wait(t, &from, "ignored notify message without sender credentials")
	oob := unix.UnixCredentials(&unix.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())})
	if !fromChild(oob, os.Getpid(), slog.New(sink)) {
		t.Error("a datagram from the child's own pid was refused")
	}
}

func TestReadyFromAnotherProcessIsIgnored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Ready: ReadyNotify, ReadyTimeout: 3 * time.Second})
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

// A configured mode is the socket file's mode, and the file is created with
// no more than it: there is no moment between bind and chmod when others
// may connect.
func TestUnixSocketModeConfiguredAndNeverLooser(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(&logSink{more: make(chan struct{}, 1)})
	path := filepath.Join(dir, "private.sock")
	g, err := openGroups(context.Background(), []Address{{Name: "sock", Network: "unix", Addr: path}}, ListenOptions{UnixMode: 0o600}, true, log)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("configured 0600: mode %v (%v)", fi.Mode().Perm(), err)
	}
	// The bind alone, before any chmod, with the supervisor's socket options.
	for _, mode := range []os.FileMode{0o600, 0o660} {
		raw := filepath.Join(dir, "raw-"+strconv.FormatUint(uint64(mode), 8)+".sock")
		lc := net.ListenConfig{Control: controlFunc(ListenOptions{UnixMode: mode})}
		ln, err := lc.Listen(context.Background(), "unix", raw)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(raw)
		ln.Close()
		if err != nil || fi.Mode().Perm()&^mode != 0 {
			t.Errorf("mode %v: the bind created the file %v (%v), looser than asked", mode, fi.Mode().Perm(), err)
		}
	}
}

// SO_REUSEPORT is opt-in: by default another process of this user cannot
// bind reloader's address beside it, even with SO_REUSEPORT; with
// ReusePort it can, which is the hijack risk the README documents.
func TestReusePortIsOptIn(t *testing.T) {
	ctx := context.Background()
	log := slog.New(&logSink{more: make(chan struct{}, 1)})
	intruder := net.ListenConfig{Control: controlFunc(ListenOptions{ReusePort: true})}
	intruder.SetMultipathTCP(false)
	for _, reuse := range []bool{false, true} {
		g, err := openGroups(ctx, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{ReusePort: reuse}, false, log)
		if err != nil {
			t.Fatal(err)
		}
		addr := g.addrs()[0].Addr
		ln, err := intruder.Listen(ctx, "tcp", addr)
		switch {
		case !reuse && !errors.Is(err, syscall.EADDRINUSE):
			t.Errorf("default: a SO_REUSEPORT bind beside reloader on %s: err = %v, want EADDRINUSE", addr, err)
		case reuse && err != nil:
			t.Errorf("ReusePort: a second bind on %s failed (%v); the option is not set", addr, err)
		}
		if ln != nil {
			ln.Close()
		}
		g.close()
	}
}
