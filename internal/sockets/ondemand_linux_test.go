package sockets

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/reloader-dev/reloader/portdoctor"
)

// askSet opens a steered Set with one -l address and returns it with a
// free loopback address for the app to ask for.
func askSet(t *testing.T) (*Set, netip.AddrPort) {
	t.Helper()
	g, err := Open(t.Context(), nil, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{BindWait: -1}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	if !g.Steered() {
		t.Skip("no connection steering here")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return g, free
}

func inode(t *testing.T, fd int) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// ask asks for a and returns the dup it got, closed at cleanup.
func ask(t *testing.T, g *Set, h *Hand, r Request) (int, *Address) {
	t.Helper()
	fd, fresh, err := g.Ask(t.Context(), h, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd, fresh
}

func acquire(t *testing.T, g *Set) *Hand {
	t.Helper()
	h, err := g.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// An address asked for on demand becomes a steered group of its own, kept
// out of LISTEN_FDS; a later generation gets its own socket there, which
// serves once it is promoted.
func TestAskBindsOnceAndSteersPerGeneration(t *testing.T) {
	t.Parallel()
	g, free := askSet(t)
	r := Request{Network: "tcp4", Addr: free}
	gen1 := acquire(t, g)
	fd1, fresh := ask(t, g, gen1, r)
	if fresh == nil || fresh.Network != "tcp4" || fresh.Addr != free.String() {
		t.Fatalf("first ask: fresh %+v, want tcp4 %s", fresh, free)
	}
	if inode(t, fd1) != inode(t, g.gs[1].serving.fd) {
		t.Error("the first asker did not get the serving socket")
	}
	gen2 := acquire(t, g)
	if len(gen2.FDs()) != 1 || g.Names() != "web" {
		t.Errorf("LISTEN_FDS %v names %q: an address asked on demand must stay out", gen2.FDs(), g.Names())
	}
	fd2, fresh := ask(t, g, gen2, r)
	if fresh != nil {
		t.Errorf("second ask bound again: %+v", fresh)
	}
	if inode(t, fd2) == inode(t, fd1) || localAddr(t, fd2) != free.String() {
		t.Errorf("second generation: inode %d at %s, want a socket of its own (not %d) at %s", inode(t, fd2), localAddr(t, fd2), inode(t, fd1), free)
	}
	if again, _ := ask(t, g, gen2, r); inode(t, again) != inode(t, fd2) {
		t.Error("asking twice gave another socket")
	}
	dialN(t, free.String(), 3)
	if n := queued(t, fd1); n != 3 {
		t.Errorf("before the promotion the old socket got %d of 3", n)
	}
	g.Promote(gen2)
	dialN(t, free.String(), 5)
	if n := queued(t, fd2); n != 5 {
		t.Errorf("after the promotion the new socket got %d of 5", n)
	}
	g.Release(gen1)
	var asked []bool
	for _, ss := range g.Serving() {
		asked = append(asked, ss.Asked)
	}
	if len(asked) != 2 || asked[0] || !asked[1] {
		t.Errorf("Serving() Asked = %v, want [false true]", asked)
	}
	g.Release(gen2)
	if _, _, err := g.Ask(t.Context(), gen2, r); !errors.Is(err, ErrReleased) {
		t.Errorf("ask after release: %v, want ErrReleased", err)
	}
}

// The promoted generation that asks late (its second listener starts after
// its first accept) is steered to at once, not left behind the old
// child's socket.
func TestAskByPromotedGenerationServesAtOnce(t *testing.T) {
	t.Parallel()
	g, free := askSet(t)
	r := Request{Network: "tcp4", Addr: free}
	gen1 := acquire(t, g)
	fd1, _ := ask(t, g, gen1, r)
	g.Promote(gen1)
	gen2 := acquire(t, g)
	g.Promote(gen2) // ready on the -l address before it asked for free
	fd2, _ := ask(t, g, gen2, r)
	dialN(t, free.String(), 4)
	if a, b := queued(t, fd1), queued(t, fd2); b != 4 {
		t.Errorf("old child's socket got %d, promoted generation's %d; want 0 and 4", a, b)
	}
}

// The -l address asked for gives the generation the member it has.
func TestAskForListenAddressGivesItsMember(t *testing.T) {
	t.Parallel()
	g, _ := askSet(t)
	gen1 := acquire(t, g)
	fd, fresh := ask(t, g, gen1, Request{Network: "tcp4", Addr: netip.MustParseAddrPort(g.Addrs()[0].Addr)})
	if fresh != nil || inode(t, fd) != inode(t, gen1.ms[0].fd) {
		t.Errorf("fresh %+v, inode %d: want the -l socket the generation holds (%d)", fresh, inode(t, fd), inode(t, gen1.ms[0].fd))
	}
	if len(g.gs) != 1 {
		t.Errorf("%d groups, want 1", len(g.gs))
	}
}

// An app listening on every interface on the port of a -l address (":P"
// with -l 127.0.0.1:P) is given that address's socket, IPv4 or dual-stack
// IPv6 alike: no group of its own, where connections to the -l address
// would wait on a socket no child accepts from. Another specific host on
// that port gets a group of its own.
func TestAskForWildcardOnListenPortGivesItsMember(t *testing.T) {
	t.Parallel()
	g, _ := askSet(t)
	gen1 := acquire(t, g)
	port := netip.MustParseAddrPort(g.Addrs()[0].Addr).Port()
	for _, r := range []Request{
		{Network: "tcp4", Addr: netip.AddrPortFrom(netip.IPv4Unspecified(), port)},
		{Network: "tcp6", Addr: netip.AddrPortFrom(netip.IPv6Unspecified(), port)},
	} {
		fd, fresh := ask(t, g, gen1, r)
		if fresh != nil || inode(t, fd) != inode(t, gen1.ms[0].fd) {
			t.Errorf("%v: fresh %+v, inode %d: want the -l socket the generation holds (%d)", r, fresh, inode(t, fd), inode(t, gen1.ms[0].fd))
		}
	}
	if len(g.gs) != 1 {
		t.Errorf("%d groups, want 1", len(g.gs))
	}
	// Another specific host on the same port is another server.
	if _, fresh := ask(t, g, gen1, Request{Network: "tcp4", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), port)}); fresh == nil {
		t.Errorf("127.0.0.2:%d was given the -l socket of 127.0.0.1; want a group of its own", port)
	}
}

// The other way round: an app listening on one interface on the port of
// a wildcard -l address (-l 0.0.0.0:P, the app on 127.0.0.1:P) is given
// the -l socket; a specific host on another -l host's port is not.
func TestAskOnWildcardListenPortGivesItsMember(t *testing.T) {
	t.Parallel()
	g, err := Open(t.Context(), nil, []Address{{Network: "tcp", Addr: "0.0.0.0:0"}}, ListenOptions{BindWait: -1}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	if !g.Steered() {
		t.Skip("no connection steering here")
	}
	gen1 := acquire(t, g)
	port := netip.MustParseAddrPort(g.Addrs()[0].Addr).Port()
	fd, fresh := ask(t, g, gen1, Request{Network: "tcp4", Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)})
	if fresh != nil || inode(t, fd) != inode(t, gen1.ms[0].fd) {
		t.Errorf("fresh %+v, inode %d: want the -l socket the generation holds (%d)", fresh, inode(t, fd), inode(t, gen1.ms[0].fd))
	}
	if len(g.gs) != 1 {
		t.Errorf("%d groups, want 1", len(g.gs))
	}
}

// An address another process listens on is answered with the bind error,
// and nothing joins the Set.
func TestAskForBusyAddressFails(t *testing.T) {
	t.Parallel()
	g, _ := askSet(t)
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	gen1 := acquire(t, g)
	_, fresh, err := g.Ask(t.Context(), gen1, Request{Network: "tcp4", Addr: netip.MustParseAddrPort(busy.Addr().String())})
	var le *ListenError
	if !errors.As(err, &le) || !errors.Is(err, unix.EADDRINUSE) || fresh != nil {
		t.Errorf("ask for a busy address: %v (fresh %+v), want a ListenError with EADDRINUSE", err, fresh)
	}
	var be *portdoctor.BindError
	if !errors.As(err, &be) || be.Report == nil {
		t.Errorf("ask for a busy address: %v, want portdoctor's diagnosis in it", err)
	}
	if len(g.gs) != 1 {
		t.Errorf("%d groups, want 1", len(g.gs))
	}
}

// tcp6 keeps the family and IPV6_V6ONLY the app asked for: v6only=0 takes
// IPv4 connections too.
func TestAskTCP6KeepsV6Only(t *testing.T) {
	t.Parallel()
	g, free := askSet(t)
	probe, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 here:", err)
	}
	probe.Close()
	gen1 := acquire(t, g)
	for _, v6only := range []bool{false, true} {
		port := free.Port()
		if v6only {
			port++ // another port: a dual-stack socket holds free's IPv4 side
		}
		r := Request{Network: "tcp6", Addr: netip.AddrPortFrom(netip.IPv6Unspecified(), port), V6Only: v6only}
		fd, fresh, err := g.Ask(context.Background(), gen1, r)
		if err != nil {
			t.Skipf("%s: %v", r, err)
		}
		defer unix.Close(fd)
		on, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		if err != nil || (on == 1) != v6only || fresh == nil {
			t.Errorf("%s: IPV6_V6ONLY=%d (%v), fresh %+v", r, on, err, fresh)
		}
		if again, fresh, err := g.Ask(context.Background(), gen1, r); err != nil || fresh != nil {
			t.Errorf("%s asked again: %v, bound again: %+v", r, err, fresh)
		} else {
			unix.Close(again)
		}
	}
}

// A socket asked for on demand and handed to an upgraded reloader stays
// out of LISTEN_FDS there, and the next ask finds it instead of binding.
func TestInheritedAskedSocketIsAskedFor(t *testing.T) {
	t.Parallel()
	ln, fd := reusePortListener(t, "127.0.0.1:0")
	if err := attachSteering(fd, 0); err != nil {
		t.Skip("no connection steering here:", err)
	}
	addr := localAddr(t, fd)
	in := []InheritedSocket{{Address: Address{Network: "tcp4", Addr: addr}, Conn: ln, Busy: true, Asked: true}}
	g, err := Open(t.Context(), in, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gen := acquire(t, g)
	if len(gen.FDs()) != 1 || gen.FDs()[0] != gen.ms[1].fd || g.Names() != "web" {
		t.Errorf("LISTEN_FDS %v names %q, want only the -l socket", gen.FDs(), g.Names())
	}
	got, fresh := ask(t, g, gen, Request{Network: "tcp4", Addr: netip.MustParseAddrPort(addr)})
	if fresh != nil || localAddr(t, got) != addr || inode(t, got) == inode(t, fd) {
		t.Errorf("fresh %+v at %s: want the inherited group's own socket for the new generation", fresh, localAddr(t, got))
	}
	g.Release(gen)
}
