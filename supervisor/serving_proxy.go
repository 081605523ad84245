package supervisor

import (
	"context"
	"strconv"
	"time"
)

// proxyServer serves the addresses as an HTTP reverse proxy, for apps that
// bind their own port: each child gets a private loopback port in portEnv,
// is ready once that port accepts a connection, and is promoted by sending
// new requests there.
type proxyServer struct {
	g       *groups
	p       *proxy
	portEnv string
}

func newProxyServer(g *groups, portEnv string, hold time.Duration, s *Supervisor) proxyServer {
	p := newProxy(hold, s.log)
	p.serve(g.listeners())
	return proxyServer{g: g, p: p, portEnv: portEnv}
}

func (ps proxyServer) addrs() []Address { return ps.g.addrs() }

func (ps proxyServer) handout(context.Context) (*handout, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	return &handout{backend: "127.0.0.1:" + p, env: []string{ps.portEnv + "=" + p}}, nil
}

// probe: the app binds its private port itself, so a connection there
// means it listens.
func (ps proxyServer) probe(ctx context.Context, h *handout, exited <-chan struct{}) <-chan error {
	probed := make(chan error, 1)
	go func() { probed <- probe(ctx, h.backend, exited) }()
	return probed
}

func (ps proxyServer) promote(h *handout)             { ps.p.switchTo(h.backend) }
func (proxyServer) retire(*handout, bool) (bool, int) { return false, 0 }
func (proxyServer) release(*handout)                  {}
func (proxyServer) handsOver() bool                   { return false }
func (ps proxyServer) serving() []ServingSocket       { return ps.g.serving() }
func (ps proxyServer) releaseInherited()              { ps.g.releaseInherited() }

func (ps proxyServer) shutdown(ctx context.Context) { ps.p.shutdown(ctx) }
func (ps proxyServer) close()                       { ps.g.close() }
