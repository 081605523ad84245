package supervisor

import (
	"context"
	"github.com/reloader-dev/reloader/internal/sockets"
	"strconv"
	"time"
)

// proxyServer serves the addresses as an HTTP reverse proxy, for apps that
// bind their own port: each child gets a private loopback port in portEnv,
// is ready once that port accepts a connection, and is promoted by sending
// new requests there.
type proxyServer struct {
	g       *sockets.Set
	p       *proxy
	portEnv string
}

func newProxyServer(g *sockets.Set, portEnv string, hold time.Duration, s *Supervisor) proxyServer {
	p := newProxy(hold, s.log)
	if s.live != nil {
		p.srv.Handler = s.live.handler(p.srv.Handler)
		p.htmlErrors = true
		p.srv.RegisterOnShutdown(s.live.srv.Hub.Close) // browsers' streams end; they reconnect to the next run
	}
	p.serve(g.Listeners())
	return proxyServer{g: g, p: p, portEnv: portEnv}
}

func (ps proxyServer) addrs() []Address { return ps.g.Addrs() }

func (ps proxyServer) handout(context.Context) (*handout, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p, addr := strconv.Itoa(port), "127.0.0.1:"+strconv.Itoa(port)
	return &handout{backend: addr, proxied: ps.p.add(addr), env: []string{ps.portEnv + "=" + p}}, nil
}

// probe: the app binds its private port itself, so a connection there
// means it listens.
func (ps proxyServer) probe(ctx context.Context, h *handout, exited <-chan struct{}) <-chan error {
	probed := make(chan error, 1)
	go func() { probed <- probe(ctx, h.backend, exited) }()
	return probed
}

func (ps proxyServer) promote(h *handout) { ps.p.switchTo(h.proxied) }

// retire: new requests already go to the promoted child. Before this
// one's stop signal, wait (up to proxy.hold) until it has answered every
// request sent to it, then close the idle connections to it.
func (ps proxyServer) retire(h *handout, _ int, _ bool) (bool, int) {
	if h.proxied == nil {
		return false, 0
	}
	return true, ps.p.retire(h.proxied, ps.p.hold)
}

// release forgets the child's backend once the child is gone.
func (ps proxyServer) release(h *handout) {
	if h.proxied != nil {
		ps.p.remove(h.proxied)
		h.proxied = nil
	}
}
func (proxyServer) handsOver() bool             { return false }
func (ps proxyServer) serving() []ServingSocket { return ps.g.Serving() }
func (ps proxyServer) releaseInherited()        { ps.g.ReleaseInherited() }

func (ps proxyServer) shutdown(ctx context.Context) { ps.p.shutdown(ctx) }
func (ps proxyServer) close()                       { ps.g.Close() }
