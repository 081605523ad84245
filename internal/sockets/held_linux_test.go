package sockets

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/syncio"
	"golang.org/x/sys/unix"
)

// dialN opens n connections to addr (the kernel completes the handshakes
// and queues them; nobody needs to accept) and closes them at cleanup.
func dialN(t *testing.T, addr string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
}

// queued returns the accept queue length of fd.
func queued(t *testing.T, fd int) int {
	t.Helper()
	n, err := acceptQueueLen(fd)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func listening(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return err == nil && v == 1
}

// A retired socket that another process still holds (a detached grandchild
// that inherited fd 3, tableflip's copy) must leave the reuseport group:
// otherwise steering picks it and new connections hang in its queue.
func TestRetiredSocketHeldElsewhereLeavesTheGroup(t *testing.T) {
	t.Parallel()
	log := &syncio.Buffer{}
	g, err := Open(t.Context(), nil, []Address{{Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{}, true, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Steered() {
		t.Skip("no connection steering here")
	}
	gen1, err := g.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Someone else keeps a copy of generation 1's socket.
	held, err := unix.Dup(gen1.ms[0].fd)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(held)
	gen2, err := g.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	g.Promote(gen2)
	g.Release(gen1) // generation 1's child has stopped
	if listening(held) {
		t.Error("the retired socket still listens through the other holder's copy")
	}
	addr := g.Addrs()[0].Addr
	dialN(t, addr, 20)
	if n := queued(t, gen2.ms[0].fd); n != 20 {
		t.Errorf("serving socket got %d of 20 new connections; the rest went to the retired one", n)
	}
	if strings.Contains(log.String(), "unexpected listener") {
		t.Errorf("our own leftover was blamed on another process:\n%s", log)
	}
}

// reusePortListener opens a SO_REUSEPORT listener on addr, as reloader
// does with ReusePort.
func reusePortListener(t *testing.T, addr string) (*net.TCPListener, int) {
	t.Helper()
	lc := net.ListenConfig{Control: controlFunc(ListenOptions{ReusePort: true})}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	fd, err := dupFD(ln)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(fd) })
	return ln.(*net.TCPListener), fd
}

// Finding 19c: a reloader that hands over its sockets mid-swap has two
// sockets in the group, and the serving one need not be at index 0. The
// new reloader must not steer to index 0 when it opens the one it got.
func TestInheritedMidSwapKeepsTheSteering(t *testing.T) {
	t.Parallel()
	// The old reloader's group mid-swap: A (the old child's, draining) at
	// index 0, B (promoted) at index 1, the program picking 1.
	_, fdA := reusePortListener(t, "127.0.0.1:0")
	addr := localAddr(t, fdA)
	lnB, fdB := reusePortListener(t, addr)
	if err := attachSteering(fdB, 1); err != nil {
		t.Skip("no connection steering here:", err)
	}
	in := []InheritedSocket{{Address: Address{Network: "tcp", Addr: addr}, Conn: lnB, Busy: true}}
	g, err := Open(t.Context(), in, nil, ListenOptions{}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Steered() {
		t.Fatal("an inherited SO_REUSEPORT socket is not steered")
	}
	dialN(t, addr, 10)
	if a, b := queued(t, fdA), queued(t, fdB); b != 10 {
		t.Errorf("new connections: %d on the draining socket, %d on the serving one; want 0 and 10", a, b)
	}
}

func localAddr(t *testing.T, fd int) string {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in4 := sa.(*unix.SockaddrInet4)
	return (&net.TCPAddr{IP: net.IP(in4.Addr[:]), Port: in4.Port}).String()
}

// A socket systemd passed (and keeps for the next start) must stay a
// listener after a swap retires it, and steering must stay right.
func TestSystemdSocketIsParkedNotShutDown(t *testing.T) {
	t.Parallel()
	lnS, fdS := reusePortListener(t, "127.0.0.1:0") // fdS is systemd's copy
	addr := lnS.Addr().String()
	in := []InheritedSocket{{Address: Address{Name: "web", Network: "tcp", Addr: addr}, Conn: lnS}}
	g, err := Open(t.Context(), in, nil, ListenOptions{}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.Steered() {
		t.Skip("no connection steering here")
	}
	var prev *Hand
	for gen := 1; gen <= 4; gen++ {
		ms, err := g.Acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		g.Promote(ms)
		if prev != nil {
			g.Release(prev)
		}
		prev = ms
		if !listening(fdS) {
			t.Fatalf("generation %d: systemd's socket no longer listens", gen)
		}
		if n := len(g.gs[0].members); n > 2 {
			t.Errorf("generation %d: %d sockets in the group, want at most 2", gen, n)
		}
		before := queued(t, ms.ms[0].fd)
		dialN(t, addr, 5)
		if n := queued(t, ms.ms[0].fd) - before; n != 5 {
			t.Errorf("generation %d: the serving socket got %d of 5 new connections", gen, n)
		}
	}
}
