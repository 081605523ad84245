package sockets

import (
	"context"
	"errors"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// ErrReleased is returned by Ask for a generation whose Hand was released.
var ErrReleased = errors.New("sockets: the child is gone")

// Ask gives generation h its socket for the address of r, a listen
// request, as a CLOEXEC dup of it that the caller sends and closes. An
// address the Set holds (from -l, or asked for before) gives h its member
// exactly as Acquire would: the serving socket if no child uses it, else a
// steered socket of h's own, which serves at once if h is the promoted
// generation. An address the Set does not hold is bound first (same
// family and IPV6_V6ONLY as asked, SO_REUSEADDR and SO_REUSEPORT, plain
// TCP), becomes a group of its own for the Set's whole life, and is
// returned in fresh; nil means the address was held already. A bind that
// fails returns a *ListenError, for port in use with portdoctor's
// diagnosis.
func (s *Set) Ask(ctx context.Context, h *Hand, r Request) (fd int, fresh *Address, err error) {
	if r.Ready || (r.Network != "tcp4" && r.Network != "tcp6") {
		return -1, nil, errors.New("sockets: not a tcp listen request: " + r.String())
	}
	s.mu.Lock()
	i := s.findLocked(r)
	s.mu.Unlock()
	var g *group
	if i < 0 {
		// The bind may wait out a holder on its way out (BindWait):
		// outside the lock, which swaps need.
		o := s.opts
		o.ReusePort, o.DualStack = true, r.Network == "tcp6" && !r.V6Only
		a := Address{Network: r.Network, Addr: r.Addr.String()}
		if g, err = openGroup(ctx, a, o, s.steer, s.log); err != nil {
			return -1, nil, err
		}
		g.asked = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.released {
		if g != nil {
			closeGroup(g)
		}
		return -1, nil, ErrReleased
	}
	if g != nil {
		if i = s.findLocked(r); i >= 0 {
			closeGroup(g) // another generation asked meanwhile
		} else {
			s.gs = append(s.gs, g)
			i = len(s.gs) - 1
			a := g.Address
			fresh = &a
		}
	}
	g = s.gs[i]
	for len(h.ms) <= i {
		h.ms = append(h.ms, nil)
	}
	m := h.ms[i]
	if m == nil {
		if m, err = s.acquireLocked(ctx, g); err != nil {
			return -1, fresh, err
		}
		h.ms[i] = m
		if h == s.current {
			s.promoteLocked(g, m)
		}
	}
	nfd, err := unix.FcntlInt(uintptr(m.fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return -1, fresh, &ListenError{g.Address, os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", err)}
	}
	return nfd, fresh, nil
}

// findLocked returns the index of the TCP group for r: the one bound to
// r's address with r's family and IPV6_V6ONLY or else a group given at
// start (not asked for) on r's port when either of the two is a wildcard;
// -1 if none.
func (s *Set) findLocked(r Request) int {
	if i := s.findExactLocked(r); i >= 0 {
		return i
	}
	// An app listening on every interface (":8080") on the port of an
	// address the user gave (-l 127.0.0.1:8080) gets that address's
	// socket, and so does an app listening on one interface on the port
	// of a wildcard the user gave (-l :8080, the app on 127.0.0.1:8080):
	// it is the same server, and a group of its own would leave
	// connections to the other address queued on a socket no child
	// accepts from. Two different specific hosts stay apart.
	wild := r.Addr.Addr().IsUnspecified()
	for i, g := range s.gs {
		if g.serving == nil || g.asked || !isTCP(g.Network) {
			continue
		}
		if ap, _, _, ok := boundTo(g.serving.fd); ok && ap.Port() == r.Addr.Port() && (wild || ap.Addr().IsUnspecified()) {
			return i
		}
	}
	return -1
}

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}

// findExactLocked returns the index of the group bound to exactly what r
// asks for (address, family, IPV6_V6ONLY), -1 if none.
func (s *Set) findExactLocked(r Request) int {
	for i, g := range s.gs {
		if g.serving == nil {
			continue
		}
		switch g.Network {
		case "tcp", "tcp4", "tcp6":
		default:
			continue
		}
		if ap, v6, v6only, ok := boundTo(g.serving.fd); ok && ap.Port() == r.Addr.Port() && ap.Addr() == r.Addr.Addr().WithZone("") &&
			v6 == (r.Network == "tcp6") && v6only == r.V6Only {
			return i
		}
	}
	return -1
}

// boundTo reads a TCP socket's address (without zone), whether it is
// IPv6, and its IPV6_V6ONLY.
func boundTo(fd int) (ap netip.AddrPort, v6, v6only bool, ok bool) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return ap, false, false, false
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), false, false, true
	case *unix.SockaddrInet6:
		on, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		if err != nil {
			return ap, false, false, false
		}
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)), true, on == 1, true
	}
	return ap, false, false, false
}

// closeGroup closes the sockets of a group that never joined a Set.
func closeGroup(g *group) {
	for _, m := range g.members {
		if m != nil {
			m.close()
		}
	}
}
