package sockets

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
)

func TestUnixSocketModeAndStaleFile(t *testing.T) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.sock")
	log := slog.New(slog.DiscardHandler)
	addrs := []Address{{Name: "sock", Network: "unix", Addr: path}}

	// A live listener keeps its file: the bind fails.
	live, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), nil, addrs, ListenOptions{BindWait: -1}, true, log); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("bind over a live socket: err = %v, want EADDRINUSE", err)
	}
	// A dead one (its listener closed without unlinking) is replaced.
	live.(*net.UnixListener).SetUnlinkOnClose(false)
	live.Close()
	g, err := Open(context.Background(), nil, addrs, ListenOptions{}, true, log)
	if err != nil {
		t.Fatalf("bind over a stale socket file: %v", err)
	}
	defer g.Close()
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
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(dir, "private.sock")
	g, err := Open(context.Background(), nil, []Address{{Name: "sock", Network: "unix", Addr: path}}, ListenOptions{UnixMode: 0o600}, true, log)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
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
	log := slog.New(slog.DiscardHandler)
	intruder := net.ListenConfig{Control: controlFunc(ListenOptions{ReusePort: true})}
	intruder.SetMultipathTCP(false)
	for _, reuse := range []bool{false, true} {
		g, err := Open(ctx, nil, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{ReusePort: reuse}, false, log)
		if err != nil {
			t.Fatal(err)
		}
		addr := g.Addrs()[0].Addr
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
		g.Close()
	}
}
