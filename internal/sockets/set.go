package sockets

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
)

// Member is one listening socket: in steering mode, one generation's
// socket in the address's SO_REUSEPORT group; otherwise the one shared
// socket. Members come from Set.Acquire, one per address, and go back with
// Set.Release.
type Member struct {
	ln    io.Closer // a net.Listener, or a net.PacketConn for udp
	fd    int       // CLOEXEC dup handed to children
	users int       // started children using it
	// inherited holds a use for the process a Busy inherited socket came
	// from, until ReleaseInherited.
	inherited bool
	// keep marks a socket another process keeps for good (systemd's): a
	// swap that retires it parks it in its group, still listening, where
	// steering keeps it idle until a later generation takes it again.
	keep bool
}

func (m *Member) close() {
	closeFD(m.fd)
	m.ln.Close()
}

// group is everything the Set owns for one address.
type group struct {
	Address
	opts ListenOptions
	// steer is true when each generation gets its own socket and a classic
	// BPF program steers new connections to the serving one.
	steer bool
	// members mirrors the kernel's reuseport group order: a socket joins at
	// the end when it listens, and when one leaves, the last one moves into
	// its slot. A nil entry is a socket some other process of this user
	// added to the group.
	members []*Member
	serving *Member
	// asked marks an address a child asked for on demand: it is no part
	// of LISTEN_FDS, and a generation gets its socket only by asking.
	asked bool
}

// Hand is the sockets of one generation: its member of each group, by
// group index, nil where it has none (an address it never asked for). It
// grows as the generation asks for sockets; the Set reads and changes it
// under its lock. Acquire makes one, Release ends it.
type Hand struct {
	ms       []*Member
	fds      []int // LISTEN_FDS, from Acquire
	released bool
}

// FDs returns the fds to place at 3, 4, ... in the child: one per
// address given at start (-l, inherited), none of those asked on demand.
func (h *Hand) FDs() []int { return h.fds }

// Set holds the sockets of every address, in fd order from 3. The zero Set
// holds no sockets: every method works and does nothing.
type Set struct {
	mu  sync.Mutex
	log *slog.Logger
	gs  []*group
	// steer and opts open the addresses asked for on demand.
	steer bool
	opts  ListenOptions
	// current is the promoted generation's Hand: a socket it asks for
	// serves at once. nil before the first promotion.
	current *Hand
}

// Open opens the inherited sockets, then the listen addresses, in that
// order. With steer, TCP addresses get a reuseport group with a steering
// program; where that is unavailable (not Linux, an inherited socket
// without SO_REUSEPORT) the address falls back to one shared socket, and
// log says so once. On error nothing stays open.
func Open(ctx context.Context, inherited []InheritedSocket, listen []Address, opts ListenOptions, steer bool, log *slog.Logger) (*Set, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Set{log: log, steer: steer, opts: opts}
	for _, in := range inherited {
		g, err := openInherited(in, steer, log)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.gs = append(s.gs, g)
	}
	for _, a := range listen {
		g, err := openGroup(ctx, a, opts, steer && a.Network == "tcp", log)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.gs = append(s.gs, g)
	}
	return s, nil
}

func openGroup(ctx context.Context, a Address, opts ListenOptions, steer bool, log *slog.Logger) (*group, error) {
	g := &group{Address: a, opts: opts}
	if steer {
		o := opts
		o.ReusePort = true
		ln, fd, bound, err := listenFD(ctx, a, o)
		if err != nil {
			return nil, err
		}
		m := &Member{ln: ln, fd: fd}
		g.Address.Addr = bound
		if err := attachSteering(fd, 0); err != nil {
			log.Warn("connection steering unavailable; using one shared socket", "addr", g.Addr, "err", err)
			m.close()
		} else {
			g.steer, g.opts = true, o
			g.members = []*Member{m}
			g.serving = m
			log.Debug("connection steering on", "addr", g.Addr)
			return g, nil
		}
	}
	ln, fd, bound, err := listenFD(ctx, g.Address, opts)
	if err != nil {
		return nil, err
	}
	g.Address.Addr = bound
	m := &Member{ln: ln, fd: fd}
	g.members = []*Member{m}
	g.serving = m
	return g, nil
}

// openInherited makes a group from a socket someone else opened. Steering
// needs SO_REUSEPORT set on it already (systemd's ReusePort=, or an earlier
// reloader); otherwise the socket is shared by every child.
func openInherited(in InheritedSocket, steer bool, log *slog.Logger) (*group, error) {
	closer, ok := in.Conn.(io.Closer)
	if !ok {
		return nil, fmt.Errorf("sockets: inherited socket %s: %T cannot be closed", in.Address, in.Conn)
	}
	fd, err := dupFD(in.Conn)
	if err != nil {
		return nil, &ListenError{in.Address, err}
	}
	m := &Member{ln: closer, fd: fd, keep: !in.Busy || in.Keep}
	if in.Busy {
		m.users = 1 // the other process's child; see ReleaseInherited
		m.inherited = true
	}
	g := &group{Address: in.Address, members: []*Member{m}, serving: m, asked: in.Asked}
	g.opts.ReusePort = reusePortSet(fd)
	if steer && (in.Network == "tcp" || in.Asked) { // asked: tcp4 or tcp6
		if !g.opts.ReusePort {
			log.Warn("connection steering unavailable for an inherited socket without SO_REUSEPORT (systemd: ReusePort=yes); using it shared", "addr", in.Addr)
		} else if in.Busy {
			// The process it came from steers its group to this socket,
			// wherever it sits (mid-swap, not at index 0): keep its program
			// until a child of ours is promoted.
			g.steer = true
		} else if err := attachSteering(fd, 0); err != nil {
			log.Warn("connection steering unavailable; using one shared socket", "addr", in.Addr, "err", err)
		} else {
			g.steer = true
		}
	}
	return g, nil
}

// Addrs returns the owned addresses, with chosen ports, in fd order.
func (s *Set) Addrs() []Address {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Address, len(s.gs))
	for i, g := range s.gs {
		out[i] = g.Address
	}
	return out
}

// Listeners returns the serving listeners (udp sockets left out), for a
// proxy to accept on.
func (s *Set) Listeners() []net.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []net.Listener
	for _, g := range s.gs {
		if ln, ok := g.serving.ln.(net.Listener); ok {
			out = append(out, ln)
		}
	}
	return out
}

// Names returns the LISTEN_FDNAMES value: the names joined by ':', of
// the addresses in LISTEN_FDS (not those asked on demand).
func (s *Set) Names() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, g := range s.gs {
		if !g.asked {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, ":")
}

// Serving returns the sockets that serve now, in fd order, for handing to
// another process (a self-upgrade).
func (s *Set) Serving() []ServingSocket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServingSocket, 0, len(s.gs))
	for _, g := range s.gs {
		conn, _ := g.serving.ln.(syscall.Conn)
		out = append(out, ServingSocket{Address: g.Address, Conn: conn, Keep: g.serving.keep, Asked: g.asked})
	}
	return out
}

// ReleaseInherited drops the hold that Busy inherited sockets keep for the
// process they came from. Call it once that process has exited.
func (s *Set) ReleaseInherited() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, g := range s.gs {
		for _, m := range g.members {
			if m != nil && m.inherited {
				m.inherited = false
				s.releaseOne(i, m)
			}
		}
	}
}

// Steered reports whether any address is steered: each generation gets a
// socket of its own there, and DrainQueues waits for it.
func (s *Set) Steered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.gs {
		if g.steer {
			return true
		}
	}
	return false
}

// Close closes every socket. Call it once, when the supervisor exits.
func (s *Set) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.gs {
		for _, m := range g.members {
			if m != nil {
				m.close()
			}
		}
		g.members = nil
	}
}

// Held returns the number of sockets the Set holds: serving, in use by a
// child, parked or spare. Each costs two fds (the listener and the copy
// handed to children).
func (s *Set) Held() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.gs {
		for _, m := range g.members {
			if m != nil {
				n++
			}
		}
	}
	return n
}
