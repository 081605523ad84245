package sockets

import (
	"context"
	"net"
	"slices"
	"time"
)

// Drain timing of a steered swap.
const (
	// steerGrace lets handshakes that began before the steering change
	// land in the old socket's queue, and lets connections the old child
	// just accepted have their first request read, before the stop signal.
	steerGrace = 50 * time.Millisecond
	// queueWait bounds the wait for the old socket's accept queue to empty.
	queueWait = 2 * time.Second
	// queuePoll is how often the queues and the unread requests are
	// counted: reading /proc/net/tcp under load costs CPU the old child
	// needs to drain.
	queuePoll = 5 * time.Millisecond
)

// Acquire picks the sockets of a new child, one per address in fd order.
// A steered address gets a new socket while a child is using the serving
// one (the steering program keeps it from receiving anything yet);
// otherwise the child takes over the serving socket, with whatever is
// queued on it. Release gives them back.
//
// A socket no other child holds is handed over in blocking mode, as
// systemd passes sockets: an app that calls accept() on fd 3 (Python,
// C) expects that, and one that wants O_NONBLOCK (Go's netpoller) sets it
// itself. O_NONBLOCK lives on the open file description that every holder
// shares, so a socket a child already holds (one shared socket, or an
// inherited one still served by the previous reloader's child) is handed
// over as it is, never changed under that child.
func (s *Set) Acquire(ctx context.Context) (*Hand, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &Hand{ms: make([]*Member, len(s.gs))}
	for i, g := range s.gs {
		if g.asked {
			continue // a later generation gets it by asking
		}
		m, err := s.acquireLocked(ctx, g)
		if err != nil {
			s.releaseLocked(h)
			return nil, err
		}
		h.ms[i] = m
		h.fds = append(h.fds, m.fd)
	}
	return h, nil
}

// acquireLocked picks a new child's socket of g (see Acquire) and counts
// the child as its user.
func (s *Set) acquireLocked(ctx context.Context, g *group) (*Member, error) {
	m := g.serving
	if g.steer && m.users > 0 {
		if p := parked(g); p != nil {
			// A kept socket in the group, idle since it was
			// retired, or a spare that never served.
			if !p.keep {
				if err := setBlocking(p.fd); err != nil {
					s.log.Warn("cannot hand the socket over in blocking mode", "addr", g.Addr, "err", err)
				}
			}
			p.users++
			return p, nil
		}
		// Sockets that joined since our last change sit before ours.
		s.checkMembersLocked(g)
		ln, fd, _, err := listenFD(ctx, g.Address, g.opts)
		if err != nil {
			return nil, err
		}
		m = &Member{ln: ln, fd: fd}
		g.members = append(g.members, m)
	}
	if m.users == 0 {
		if err := setBlocking(m.fd); err != nil {
			s.log.Warn("cannot hand the socket over in blocking mode", "addr", g.Addr, "err", err)
		}
	}
	m.users++
	return m, nil
}

// Promote steers every new connection to the ready child's sockets h. An
// address h has no socket of (one asked for on demand by an earlier
// generation only) keeps its serving socket: the old child serves it until
// it stops, and then connections wait there for the next generation that
// asks. Sockets h asks for later are promoted at once.
func (s *Set) Promote(h *Hand) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = h
	for i, g := range s.gs {
		if i < len(h.ms) && h.ms[i] != nil {
			s.promoteLocked(g, h.ms[i])
		}
	}
}

// promoteLocked makes m g's serving socket.
func (s *Set) promoteLocked(g *group, m *Member) {
	prev := g.serving
	if prev == m {
		return
	}
	g.serving = m
	s.steerLocked(g)
	if prev.users == 0 {
		// Its child died while this one started: nobody accepts there.
		s.log.Warn("closing the socket of a child that died during the swap; connections queued on it are reset", "addr", g.Addr)
		s.removeLocked(g, prev)
	}
}

// steerLocked attaches the program that picks the serving socket's index.
func (s *Set) steerLocked(g *group) {
	for i, m := range g.members {
		if m == g.serving {
			if err := attachSteering(m.fd, i); err != nil {
				s.log.Error("steering failed", "addr", g.Addr, "err", err)
			}
			return
		}
	}
}

// DrainQueues waits until the accept queues of the old child's steered
// sockets ms are empty and until the processes of the child's group pgid
// have read every request they accepted on them, with a bound and a grace
// on either side, so that the stop signal finds no connection it would
// drop. With all, serving sockets count as old too (their connections are
// steered elsewhere by another process). steered is false when no socket
// of ms is steered and old; left is the number of connections still queued
// or unread when the bound ran out (0 when drained).
func (s *Set) DrainQueues(h *Hand, pgid int, all bool) (steered bool, left int) {
	s.mu.Lock()
	var old []*Member
	for i, g := range s.gs {
		if g.steer && i < len(h.ms) && h.ms[i] != nil && (all || h.ms[i] != g.serving) {
			old = append(old, h.ms[i])
		}
	}
	s.mu.Unlock()
	if len(old) == 0 {
		return false, 0
	}
	var ports []uint16
	for _, m := range old {
		if ln, ok := m.ln.(net.Listener); ok {
			if a, ok := ln.Addr().(*net.TCPAddr); ok {
				ports = append(ports, uint16(a.Port))
			}
		}
	}
	time.Sleep(steerGrace)
	pids := groupPids(pgid)
	deadline := time.Now().Add(queueWait)
	for {
		left = 0
		for _, m := range old {
			n, err := acceptQueueLen(m.fd)
			if err != nil {
				s.log.Debug("accept queue length unknown", "err", err)
			}
			left += n
		}
		if left == 0 {
			n, err := unreadConns(pids, ports)
			if err != nil {
				s.log.Debug("unread connections unknown", "err", err)
			}
			left = n
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(queuePoll)
	}
	time.Sleep(steerGrace)
	return true, left
}

// Release drops a gone child's hold on its sockets h. A socket no child
// uses and no longer serving is closed and leaves its group, and the
// program is attached again for the new order. h asks for nothing after.
func (s *Set) Release(h *Hand) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked(h)
}

func (s *Set) releaseLocked(h *Hand) {
	h.released = true
	if s.current == h {
		s.current = nil
	}
	for i, m := range h.ms {
		if m != nil {
			s.releaseOne(i, m)
		}
	}
	h.ms = nil
}

func (s *Set) releaseOne(i int, m *Member) {
	m.users--
	g := s.gs[i]
	if m.users > 0 || m == g.serving {
		return
	}
	s.removeLocked(g, m)
}

// parked returns a member of g that no child uses and that does not serve
// (a kept socket, or a spare), or nil.
func parked(g *group) *Member {
	for _, m := range g.members {
		if m != nil && m.users == 0 && m != g.serving {
			return m
		}
	}
	return nil
}

// removeLocked takes m, which no child uses and which does not serve, out
// of the kernel's group: the last member moves into its slot, so the
// program is attached again. Closing our copies is not enough while any
// other process holds the socket (a detached grandchild, tableflip's
// copy): shutdown(SHUT_RD) ends its LISTEN state whoever holds it, and
// resets whatever is queued, so m's child must have stopped. A kept socket
// (systemd's) is parked instead: it stays in the group, listening and idle.
func (s *Set) removeLocked(g *group, m *Member) {
	if g.steer && m.keep {
		s.log.Debug("parking a retired socket that another process keeps", "addr", g.Addr)
		return
	}
	if g.steer {
		// The kernel moves the group's last socket into m's slot. Were
		// that the serving socket, the program would return an index past
		// the end until it is attached again, and the kernel would spread
		// new connections by hash over the whole group, onto sockets
		// whose children are stopping. A spare joins at the end first and
		// takes m's slot instead; the next generation gets it.
		s.checkMembersLocked(g)
		if g.members[len(g.members)-1] == g.serving {
			s.addSpareLocked(g)
		}
		if err := stopListening(m.fd); err != nil {
			s.log.Debug("shutdown of a retired socket", "addr", g.Addr, "err", err)
		}
	}
	for j, x := range g.members {
		if x == m {
			last := len(g.members) - 1
			g.members[j] = g.members[last]
			g.members = g.members[:last]
			break
		}
	}
	m.close()
	if g.steer {
		s.checkMembersLocked(g)
		s.steerLocked(g)
		s.pruneSparesLocked(g)
	}
}

// pruneSparesLocked closes the spares of g that are no longer needed, where
// taking one out of the group moves no serving socket: the spare is last,
// or the serving socket is not. Overlapping drains can add several spares;
// this keeps the group from growing.
func (s *Set) pruneSparesLocked(g *group) {
	for {
		last := len(g.members) - 1
		j := slices.IndexFunc(g.members, func(m *Member) bool {
			return m != nil && m.users == 0 && !m.keep && m != g.serving
		})
		if j < 0 || (j != last && g.members[last] == g.serving) {
			return
		}
		m := g.members[j]
		if err := stopListening(m.fd); err != nil {
			s.log.Debug("shutdown of a spare socket", "addr", g.Addr, "err", err)
		}
		g.members[j] = g.members[last]
		g.members = g.members[:last]
		m.close()
	}
}

// addSpareLocked adds an idle socket at the end of g's group: steering
// keeps it from receiving anything until a generation is given it.
func (s *Set) addSpareLocked(g *group) {
	ln, fd, _, err := listenFD(context.Background(), g.Address, g.opts)
	if err != nil {
		s.log.Debug("no spare socket; connections may land on a stopping child's socket while one leaves the group", "addr", g.Addr, "err", err)
		return
	}
	g.members = append(g.members, &Member{ln: ln, fd: fd})
}

// checkMembersLocked compares the kernel's count of listeners on the
// address with the group as tracked. More listeners mean another process of
// this user joined the reuseport group: it is warned about and recorded as
// a slot at the end, which keeps the indices of our sockets right, so
// steering keeps it from receiving anything. Fewer mean such a socket left;
// the kernel moved the last member into its slot.
func (s *Set) checkMembersLocked(g *group) {
	n, err := listenersOn(g.Addr)
	if err != nil {
		return
	}
	switch {
	case n > len(g.members):
		s.log.Warn("unexpected listener in the SO_REUSEPORT group: another process of this user bound the address; it receives no connections while steering is on",
			"addr", g.Addr, "listeners", n, "ours", ours(g.members))
		for len(g.members) < n {
			g.members = append(g.members, nil)
		}
	case n < len(g.members):
		for i := 0; i < len(g.members) && n < len(g.members); i++ {
			if g.members[i] == nil {
				last := len(g.members) - 1
				g.members[i] = g.members[last]
				g.members = g.members[:last]
				i--
			}
		}
		s.steerLocked(g)
	}
}

func ours(ms []*Member) int {
	n := 0
	for _, m := range ms {
		if m != nil {
			n++
		}
	}
	return n
}
