package supervisor

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
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
)

// member is one listening socket: in steering mode, one generation's socket
// in the address's SO_REUSEPORT group; otherwise the one shared socket.
type member struct {
	ln    io.Closer // a net.Listener, or a net.PacketConn for udp
	fd    int       // CLOEXEC dup handed to children
	users int       // started children using it
	// inherited holds a use for the process a Busy inherited socket came
	// from, until ReleaseInherited.
	inherited bool
}

func (m *member) close() {
	closeFD(m.fd)
	m.ln.Close()
}

// sockGroup is everything the supervisor owns for one address.
type sockGroup struct {
	Address
	opts ListenOptions
	// steer is true when each generation gets its own socket and a classic
	// BPF program steers new connections to the serving one.
	steer bool
	// members mirrors the kernel's reuseport group order: a socket joins at
	// the end when it listens, and when one leaves, the last one moves into
	// its slot. A nil entry is a socket some other process of this user
	// added to the group.
	members []*member
	serving *member
}

// groups holds the sockets of every address, in fd order from 3.
type groups struct {
	mu  sync.Mutex
	log *slog.Logger
	gs  []*sockGroup
}

// openGroups opens every address once. With steer, TCP addresses get a
// reuseport group with a steering program; where that is unavailable the
// address falls back to one shared socket, and the log says so once.
func openGroups(ctx context.Context, addrs []Address, opts ListenOptions, steer bool, log *slog.Logger) (*groups, error) {
	return openAll(ctx, Config{Listen: addrs, ReusePort: opts.ReusePort, BindWait: opts.BindWait, UnixSocketMode: opts.UnixMode, NoSteering: !steer}, log)
}

func openGroup(ctx context.Context, a Address, opts ListenOptions, steer bool, log *slog.Logger) (*sockGroup, error) {
	sg := &sockGroup{Address: a, opts: opts}
	if steer {
		o := opts
		o.ReusePort = true
		ln, fd, bound, err := listenFD(ctx, a, o)
		if err != nil {
			return nil, err
		}
		m := &member{ln: ln, fd: fd}
		sg.Address.Addr = bound
		if err := attachSteering(fd, 0); err != nil {
			log.Warn("connection steering unavailable; using one shared socket", "addr", sg.Addr, "err", err)
			m.close()
		} else {
			sg.steer, sg.opts = true, o
			sg.members = []*member{m}
			sg.serving = m
			log.Debug("connection steering on", "addr", sg.Addr)
			return sg, nil
		}
	}
	ln, fd, bound, err := listenFD(ctx, sg.Address, opts)
	if err != nil {
		return nil, err
	}
	sg.Address.Addr = bound
	m := &member{ln: ln, fd: fd}
	sg.members = []*member{m}
	sg.serving = m
	return sg, nil
}

// addrs returns the owned addresses, with chosen ports.
func (g *groups) addrs() []Address {
	out := make([]Address, len(g.gs))
	for i, sg := range g.gs {
		out[i] = sg.Address
	}
	return out
}

// listeners returns the serving listeners, for the proxy to accept on.
func (g *groups) listeners() []net.Listener {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []net.Listener
	for _, sg := range g.gs {
		if ln, ok := sg.serving.ln.(net.Listener); ok {
			out = append(out, ln)
		}
	}
	return out
}

// names returns the LISTEN_FDNAMES value.
func (g *groups) names() string {
	names := make([]string, len(g.gs))
	for i, sg := range g.gs {
		names[i] = sg.Name
	}
	return strings.Join(names, ":")
}

// acquire picks the sockets of a new child. A steered address gets a new
// socket while a child is using the serving one (the steering program
// keeps it from receiving anything yet); otherwise the child takes over the
// serving socket, with whatever is queued on it.
func (g *groups) acquire(ctx context.Context) ([]*member, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*member
	for _, sg := range g.gs {
		m := sg.serving
		if sg.steer && m.users > 0 {
			// Sockets that joined since our last change sit before ours.
			g.checkMembersLocked(sg)
			ln, fd, _, err := listenFD(ctx, sg.Address, sg.opts)
			if err != nil {
				g.releaseLocked(out)
				return nil, err
			}
			m = &member{ln: ln, fd: fd}
			sg.members = append(sg.members, m)
		}
		m.users++
		out = append(out, m)
	}
	return out, nil
}

// fds returns the fds to place at 3, 4, ... for ms.
func fdsOf(ms []*member) []int {
	fds := make([]int, len(ms))
	for i, m := range ms {
		fds[i] = m.fd
	}
	return fds
}

// promote steers every new connection to the ready child's sockets.
func (g *groups) promote(ms []*member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, sg := range g.gs {
		prev := sg.serving
		if prev == ms[i] {
			continue
		}
		sg.serving = ms[i]
		g.steerLocked(sg)
		if prev.users == 0 {
			// Its child died while this one started: nobody accepts there.
			g.log.Warn("closing the socket of a child that died during the swap; connections queued on it are reset", "addr", sg.Addr)
			g.removeLocked(sg, prev)
		}
	}
}

// steerLocked attaches the program that picks the serving socket's index.
func (g *groups) steerLocked(sg *sockGroup) {
	for i, m := range sg.members {
		if m == sg.serving {
			if err := attachSteering(m.fd, i); err != nil {
				g.log.Error("steering failed", "addr", sg.Addr, "err", err)
			}
			return
		}
	}
}

// drainQueues waits until the accept queues of the old child's steered
// sockets are empty, with a bound and a grace on either side, so that the
// stop signal finds no connection it would drop. It returns the queue
// length left (0 when drained).
func (g *groups) drainQueues(ms []*member, all bool) (steered bool, left int) {
	g.mu.Lock()
	var old []*member
	for i, sg := range g.gs {
		if sg.steer && i < len(ms) && (all || ms[i] != sg.serving) {
			old = append(old, ms[i])
		}
	}
	g.mu.Unlock()
	if len(old) == 0 {
		return false, 0
	}
	time.Sleep(steerGrace)
	deadline := time.Now().Add(queueWait)
	for {
		left = 0
		for _, m := range old {
			n, err := acceptQueueLen(m.fd)
			if err != nil {
				g.log.Debug("accept queue length unknown", "err", err)
			}
			left += n
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(steerGrace)
	return true, left
}

// release drops a gone child's hold on its sockets. A socket no child uses
// and no longer serving is closed and leaves its group, and the program is
// re-attached for the new order.
func (g *groups) release(ms []*member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked(ms)
}

func (g *groups) releaseLocked(ms []*member) {
	for i, m := range ms {
		if m != nil {
			g.releaseOne(i, m)
		}
	}
}

func (g *groups) releaseOne(i int, m *member) {
	m.users--
	sg := g.gs[i]
	if m.users > 0 || m == sg.serving {
		return
	}
	g.removeLocked(sg, m)
}

// removeLocked closes m, which leaves the kernel's group: the last member
// moves into its slot, so the program is attached again.
func (g *groups) removeLocked(sg *sockGroup, m *member) {
	for j, x := range sg.members {
		if x == m {
			last := len(sg.members) - 1
			sg.members[j] = sg.members[last]
			sg.members = sg.members[:last]
			break
		}
	}
	m.close()
	if sg.steer {
		g.checkMembersLocked(sg)
		g.steerLocked(sg)
	}
}

// checkMembersLocked compares the kernel's count of listeners on the
// address with the group as tracked. More listeners mean another process of
// this user joined the reuseport group: it is warned about and recorded as
// a slot at the end, which keeps the indices of our sockets right, so
// steering keeps it from receiving anything. Fewer mean such a socket left;
// the kernel moved the last member into its slot.
func (g *groups) checkMembersLocked(sg *sockGroup) {
	n, err := listenersOn(sg.Addr)
	if err != nil {
		return
	}
	switch {
	case n > len(sg.members):
		g.log.Warn("unexpected listener in the SO_REUSEPORT group: another process of this user bound the address; it receives no connections while steering is on",
			"addr", sg.Addr, "listeners", n, "ours", ours(sg.members))
		for len(sg.members) < n {
			sg.members = append(sg.members, nil)
		}
	case n < len(sg.members):
		for i := 0; i < len(sg.members) && n < len(sg.members); i++ {
			if sg.members[i] == nil {
				last := len(sg.members) - 1
				sg.members[i] = sg.members[last]
				sg.members = sg.members[:last]
				i--
			}
		}
		g.steerLocked(sg)
	}
}

func ours(ms []*member) int {
	n := 0
	for _, m := range ms {
		if m != nil {
			n++
		}
	}
	return n
}

// close closes every socket. It is called once, when the supervisor exits.
func (g *groups) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, sg := range g.gs {
		for _, m := range sg.members {
			if m != nil {
				m.close()
			}
		}
		sg.members = nil
	}
}
