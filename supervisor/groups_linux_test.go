package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUnixSocketsStayShared(t *testing.T) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addrs := []Address{
		{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"},
		{Name: "sock", Network: "unix", Addr: filepath.Join(dir, "app.sock")},
	}
	g, err := openGroups(context.Background(), addrs, ListenOptions{}, true, slog.New(&logSink{more: make(chan struct{}, 1)}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	if !g.gs[0].steer || g.gs[1].steer {
		t.Fatalf("steer tcp=%v unix=%v, want true false", g.gs[0].steer, g.gs[1].steer)
	}
	first, err := g.acquire(context.Background()) // the first child takes the serving sockets
	if err != nil {
		t.Fatal(err)
	}
	if first[0] != g.gs[0].serving || first[1] != g.gs[1].serving {
		t.Fatal("the first child must get the serving sockets")
	}
	ms, err := g.acquire(context.Background()) // a child serves: the next gets its own tcp socket
	if err != nil {
		t.Fatal(err)
	}
	if ms[0] == g.gs[0].serving || ms[1] != g.gs[1].serving {
		t.Error("a new generation must get a new tcp socket and the shared unix socket")
	}
	if len(g.gs[0].members) != 2 {
		t.Errorf("tcp group has %d members, want 2", len(g.gs[0].members))
	}
	g.release(ms)
	if len(g.gs[0].members) != 1 {
		t.Errorf("after release the tcp group has %d members, want 1", len(g.gs[0].members))
	}
}

func TestUnexpectedGroupMemberIsWarnedAndStarved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{})
	h.waitReady()
	addr := h.s.Addrs()[0].Addr
	// Another process of this user joins the SO_REUSEPORT group.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return serr
	}}
	lc.SetMultipathTCP(false)
	intruder, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	h.s.Reload("test")
	warn := h.log.wait(t, &h.logFrom, "unexpected listener in the SO_REUSEPORT group: another process of this user bound the address; it receives no connections while steering is on")
	if warn["listeners"] != "2" || warn["ours"] != "1" {
		t.Errorf("warning attrs %v, want listeners=2 ours=1", warn)
	}
	h.waitReady()
	for i := 0; i < 50; i++ {
		if body := get(t, h.url); !strings.Contains(body, "pid=") {
			t.Fatalf("response %q", body)
		}
	}
	intruder.(*net.TCPListener).SetDeadline(time.Now())
	if c, err := intruder.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		if c != nil {
			c.Close()
		}
		t.Errorf("the intruding listener received a connection (err %v)", err)
	}
}
