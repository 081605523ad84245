package supervisor

import (
	"context"
	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/sockets"
	"strconv"
)

// A server is how the generations of the app are served: what a new child
// is given, whether the server has its own readiness rule, how traffic
// moves to the promoted child and away from the one it replaces. New picks
// one, once:
//
//   - steered: each generation gets its own SO_REUSEPORT socket on every
//     TCP address, and a BPF program steers new connections to the
//     promoted one; an old child's accept queue is emptied before its stop
//     signal.
//   - shared: every generation serves on the same socket per address.
//   - proxy: the supervisor serves the addresses as an HTTP proxy, and
//     each child binds a private loopback port given in $PORT.
//   - bare: nothing is handed over; the app binds its own ports.
//
// The run loop calls handout, then starts the child with what it got,
// waits until it is ready (probe, READY=1 or a delay), promotes it, and
// retires and releases the child it replaces.
type server interface {
	// addrs returns the addresses the server owns, with ports chosen.
	addrs() []Address
	// handout prepares what the child of a new generation is given.
	handout(ctx context.Context) (*handout, error)
	// probe returns the server's own readiness rule for a started child:
	// a channel that yields nil once it is ready, or an error. nil means
	// the server has none.
	probe(ctx context.Context, h *handout, exited <-chan struct{}) <-chan error
	// promote moves new traffic to the child that was given h.
	promote(h *handout)
	// retire prepares h's child for its stop signal. With all, every
	// socket is retired: the sockets belong to another process now.
	// pgid is the child's process group: a connection its processes
	// accepted but have not read yet counts as queued. drained reports
	// whether a queue was waited for, and left what was still queued.
	retire(h *handout, pgid int, all bool) (drained bool, left int)
	// release drops what h held, once its child is gone.
	release(h *handout)
	// handsOver reports whether the child is given the public addresses,
	// so that an app that binds them itself fails with EADDRINUSE.
	handsOver() bool
	// serving returns the sockets that serve now, for a self-upgrade.
	serving() []ServingSocket
	// releaseInherited drops the hold of sockets inherited busy.
	releaseInherited()
	// shutdown stops the server's own serving (the proxy's), letting
	// requests in flight finish while ctx allows.
	shutdown(ctx context.Context)
	// close closes the sockets.
	close()
}

// handout is what a server gives one child: fds placed at 3, 4, ... and
// variables for its environment.
type handout struct {
	fds     []int
	env     []string
	hand    *sockets.Hand // the sockets behind fds and those asked on demand, for the server's books
	backend string        // proxy: the child's private "127.0.0.1:port"
	proxied *backend      // proxy: its connection pool
}

// newServer picks how generations are served and opens the sockets.
func newServer(ctx context.Context, cfg Config, s *Supervisor) (server, error) {
	return openServer(ctx, cfg, s, proc.InheritFDs)
}

// openServer is newServer for a platform where children can inherit fds
// (inherit) or not.
func openServer(ctx context.Context, cfg Config, s *Supervisor, inherit bool) (server, error) {
	if !inherit && !cfg.Proxy {
		// The proxy needs no inherited fd: it serves the addresses itself.
		if len(cfg.Listen) > 0 {
			s.log.Warn("this platform cannot hand sockets to a child: falling back to stop-then-start; the app binds its own port")
		}
		return bare{}, nil
	}
	// Behind the proxy, an instrumented app's bind of the public port
	// (SO_REUSEPORT, set by the hook) must succeed before its listen is
	// handed a private socket instead (proxy_hook_linux.go).
	reusePort := cfg.ReusePort || cfg.Proxy && s.mayInstrument()
	opts := sockets.ListenOptions{ReusePort: reusePort, BindWait: retryWait(cfg.BindWait), Log: s.log, UnixMode: cfg.UnixSocketMode}
	g, err := sockets.Open(ctx, cfg.Inherited, cfg.Listen, opts, !cfg.NoSteering, s.log)
	if err != nil {
		return nil, err
	}
	onDemand := cfg.onDemand || s.mayInstrument()
	switch {
	case cfg.Proxy:
		return newProxyServer(g, cfg.ProxyPortEnv, cfg.ProxyHold, s), nil
	case len(g.Addrs()) == 0 && !onDemand:
		return bare{}, nil
	case g.Steered() || (onDemand && !cfg.NoSteering):
		// Addresses asked on demand are steered too.
		return steered{shared{g}}, nil
	}
	return shared{g}, nil
}

// bare hands nothing over: the app binds its own ports.
type bare struct{}

func (bare) addrs() []Address                                              { return nil }
func (bare) handout(context.Context) (*handout, error)                     { return &handout{}, nil }
func (bare) probe(context.Context, *handout, <-chan struct{}) <-chan error { return nil }
func (bare) promote(*handout)                                              {}
func (bare) retire(*handout, int, bool) (bool, int)                        { return false, 0 }
func (bare) release(*handout)                                              {}
func (bare) handsOver() bool                                               { return false }
func (bare) serving() []ServingSocket                                      { return nil }
func (bare) releaseInherited()                                             {}
func (bare) shutdown(context.Context)                                      {}
func (bare) close()                                                        {}

// shared hands every child the same socket per address.
type shared struct{ g *sockets.Set }

func (s shared) addrs() []Address { return s.g.Addrs() }

func (s shared) handout(ctx context.Context) (*handout, error) {
	hand, err := s.g.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	h := &handout{hand: hand, fds: hand.FDs()}
	if len(h.fds) > 0 { // none with only addresses asked on demand
		h.env = []string{"LISTEN_FDS=" + strconv.Itoa(len(h.fds)), "LISTEN_FDNAMES=" + s.g.Names()}
	}
	return h, nil
}

func (shared) probe(context.Context, *handout, <-chan struct{}) <-chan error { return nil }
func (s shared) promote(h *handout)                                          { s.g.Promote(h.hand) }
func (shared) retire(*handout, int, bool) (bool, int)                        { return false, 0 }
func (shared) handsOver() bool                                               { return true }
func (s shared) serving() []ServingSocket                                    { return s.g.Serving() }
func (s shared) releaseInherited()                                           { s.g.ReleaseInherited() }
func (shared) shutdown(context.Context)                                      {}
func (s shared) close()                                                      { s.g.Close() }

func (s shared) release(h *handout) {
	if h.hand != nil {
		s.g.Release(h.hand)
		h.hand = nil
	}
}

// steered gives each generation its own socket on a steered address and
// moves new connections to the promoted child's; before an old child's
// stop signal, it waits until nothing is queued on that child's sockets.
type steered struct{ shared }

func (s steered) retire(h *handout, pgid int, all bool) (bool, int) {
	return s.g.DrainQueues(h.hand, pgid, all)
}
