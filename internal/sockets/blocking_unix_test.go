//go:build unix

package sockets

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// nonblocking reports whether fd's open file description has O_NONBLOCK.
func nonblocking(t *testing.T, fd int) bool {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fl&unix.O_NONBLOCK != 0
}

// TestAcquireHandsOverBlockingSockets checks issue 13, finding 9: a child
// gets its sockets in blocking mode, as systemd passes them, whenever no
// other child holds them; a socket a child already serves on (shared, or
// flipped to O_NONBLOCK by a Go child's netpoller) is never changed under
// it, and a new generation on a steered address gets a blocking socket of
// its own.
func TestAcquireHandsOverBlockingSockets(t *testing.T) {
	t.Parallel()
	addrs := []Address{
		{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"},
		{Name: "sock", Network: "unix", Addr: filepath.Join(t.TempDir(), "app.sock")},
	}
	g, err := Open(context.Background(), nil, addrs, ListenOptions{}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	steer := g.gs[0].steer // Linux; elsewhere the tcp socket is shared too
	first, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range first.ms {
		if nonblocking(t, m.fd) {
			t.Errorf("%s: the first child got an O_NONBLOCK socket; want blocking, as systemd passes it", addrs[i].Name)
		}
		// The child is a Go app: its netpoller sets O_NONBLOCK on the
		// shared open file description.
		if err := unix.SetNonblock(m.fd, true); err != nil {
			t.Fatal(err)
		}
	}
	second, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range first.ms {
		if !nonblocking(t, m.fd) {
			t.Errorf("%s: the serving child's socket lost its O_NONBLOCK when the next child was started", addrs[i].Name)
		}
	}
	if steer {
		if second.ms[0] == first.ms[0] || nonblocking(t, second.ms[0].fd) {
			t.Errorf("steered: the new generation must get a blocking socket of its own")
		}
	}
	if second.ms[1] != first.ms[1] {
		t.Fatal("the unix socket must stay shared")
	}
	// The first child exits; the second keeps serving.
	g.Release(first)
	if !nonblocking(t, second.ms[1].fd) {
		t.Error("the shared socket changed while the second child serves on it")
	}
	// Both gone: the next child is the only holder and gets it blocking.
	g.Release(second)
	third, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range third.ms {
		if nonblocking(t, m.fd) {
			t.Errorf("%s: a child that is the socket's only holder got it O_NONBLOCK", addrs[i].Name)
		}
	}
	g.Release(third)
}
