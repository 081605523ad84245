package supervisor

import (
	"context"
	"net"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// A new child that binds its own port cannot start next to the old one: the
// old child holds the port without SO_REUSEPORT, and the new one exits with
// "address already in use". The run loop then falls back to sequential
// restarts for the rest of the run (stop the old child, then start the new
// one) and starts the same build again that way, so the edit is served at
// once; SequentialFallback says so once, with the ways to zero-downtime
// swaps.
//
// The rule, decided by inUseBy: the new child printed "address already in
// use" (in any case), the old child is alive, and its process group
// listens on the address. If the message names ports (host:port, :port,
// "port N"), one of them must be a TCP port the old group listens on; if
// it names none (Python's "OSError: [Errno 98] Address already in use"),
// the old group must listen on some TCP port. Ports reloader holds itself
// (-l) never count: a child that binds one of those collides with
// reloader, not with the old child, and gets AddressInUse's explanation.
// Where the kernel's socket tables cannot be read (outside Linux), the
// old child being alive stands in for the lookup.

// inUseWait bounds the wait for a failed child's last output lines.
const inUseWait = 500 * time.Millisecond

// inUseBy reports whether the new child c, which failed to become ready,
// failed because old, the serving child, holds an address c tried to
// bind, and names the address. old may be nil (nothing serves).
func (s *Supervisor) inUseBy(c, old *child) (string, bool) {
	if !old.alive() {
		return "", false
	}
	if c.pipes != nil {
		c.pipes.wait(inUseWait)
	}
	line := c.inUseLine.Load()
	if line == nil {
		return "", false
	}
	return heldBy(*line, groupListens(old.pid), s.ownPorts())
}

// ownPorts returns the TCP ports reloader holds itself.
func (s *Supervisor) ownPorts() map[uint16]bool {
	own := map[uint16]bool{}
	for _, a := range s.Addrs() {
		if a.Network == "tcp" {
			own[portOf(a.Addr)] = true
		}
	}
	return own
}

// heldBy applies the rule above to the line that said "address already in
// use", the TCP ports the old child's group listens on (port to local
// address; nil when they cannot be looked up) and the ports reloader holds.
// It returns the address the old child holds.
func heldBy(line string, held map[uint16]string, own map[uint16]bool) (string, bool) {
	named := portsIn(line)
	if held == nil {
		for _, p := range named {
			if !own[p] {
				return ":" + strconv.Itoa(int(p)), true
			}
		}
		return "", len(named) == 0
	}
	for _, p := range named {
		if a, ok := held[p]; ok && !own[p] {
			return a, true
		}
	}
	if len(named) > 0 {
		return "", false
	}
	ports := make([]uint16, 0, len(held))
	for p := range held {
		if !own[p] {
			ports = append(ports, p)
		}
	}
	if len(ports) == 0 {
		return "", false
	}
	return held[slices.Min(ports)], true
}

// hostPort matches an address with a port after a space, a quote or a
// bracket: an IPv4 address, a bracketed or bare "::" IPv6 address, a host
// name, or nothing (":8080"). Times such as 12:30:05 do not match.
var hostPort = regexp.MustCompile(`(?:^|[\s"'(\[=])(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Za-z:.%]*\]|::|[A-Za-z][\w.-]*)?:(\d{1,5})\b`)

// portWord matches Ruby's `bind(2) for "127.0.0.1" port 3000`.
var portWord = regexp.MustCompile(`\bport (\d{1,5})\b`)

// portsIn returns the ports a message names, in order.
func portsIn(line string) []uint16 {
	var out []uint16
	for _, re := range []*regexp.Regexp{hostPort, portWord} {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			if p, err := strconv.ParseUint(m[1], 10, 16); err == nil && p != 0 && !slices.Contains(out, uint16(p)) {
				out = append(out, uint16(p))
			}
		}
	}
	return out
}

// portOf returns the port of host:port, or 0.
func portOf(addr string) uint16 {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	p, _ := strconv.ParseUint(port, 10, 16)
	return uint16(p)
}

// fallBack switches the run loop to sequential restarts after the new
// child of a failed on an address the serving child holds, and starts
// the same build again once the serving child is stopped.
func (s *Supervisor) fallBack(ctx context.Context, l *loop, a *attempt, st step) {
	l.sequential = true
	s.emit(SequentialFallback{Gen: a.gen, Addr: st.inUse, PID: pidOf(l.serving)})
	s.stopForStart(l, a)
	s.startPhase(ctx, a, step{built: st.built}, nil)
}

// failedBeside reports whether c, a serving child that exited on its own,
// was started next to an older child and printed "address already in
// use": it was taken as ready before it failed to bind the port the older
// one held (a slow start and the ready delay), and the edit it carried is
// not served.
func (s *Supervisor) failedBeside(l *loop, c *child) bool {
	if s.sequential(l) || c.beside == 0 {
		return false
	}
	if c.pipes != nil {
		c.pipes.wait(inUseWait)
	}
	return c.addrInUse.Load()
}

// fallBackLate is fallBack for a child that failed after it was promoted:
// the loop switches to sequential restarts and starts the app again once
// the child it replaced is gone (stopForStart).
func (s *Supervisor) fallBackLate(ctx context.Context, l *loop, c *child) {
	l.sequential = true
	addr := ""
	if line := c.inUseLine.Load(); line != nil {
		// The old child may still hold the port (it drains); else the
		// message may name it.
		addr, _ = heldBy(*line, groupListens(c.beside), s.ownPorts())
		if ps := portsIn(*line); addr == "" && len(ps) > 0 {
			addr = ":" + strconv.Itoa(int(ps[0]))
		}
	}
	s.emit(SequentialFallback{Gen: c.gen, Addr: addr, PID: c.beside})
	s.trigger(ctx, l, "start again after address in use")
}
