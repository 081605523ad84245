package supervisor

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// proxyHost is the URL host of every proxied request; each backend's
// transport dials its own child's port, so a connection pool never holds a
// connection to another generation.
const proxyHost = "reloader-backend"

// backend is one generation's private port and its own connection pool.
// Once the generation is promoted, new requests go to it; once it is
// retired, its idle connections are closed, and nothing takes a
// connection from its pool again.
type backend struct {
	addr string
	tr   *http.Transport // requests with a body, and upgrades

	mu     sync.Mutex
	idle   []*backendConn // the proxy's own client's (proxy_conn.go)
	closed bool           // idle connections are closed, not kept
	// Guarded by the proxy's mu: requests sent here and not yet answered
	// (their app may not have read them), and a channel closed when that
	// count drops to 0, while retire waits for it.
	pending int
	quiet   chan struct{}
}

func newBackend(addr string) *backend {
	b := &backend{addr: addr}
	b.tr = &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return b.dial(ctx)
		},
		MaxIdleConnsPerHost: maxIdle,
		IdleConnTimeout:     idleTimeout,
		// Bodies pass through as the app encoded them.
		DisableCompression: true,
	}
	return b
}

// close drops the backend's idle connections; one in use is closed when
// its request ends, since nothing takes it from the pool again.
func (b *backend) close() {
	b.tr.CloseIdleConnections()
	b.mu.Lock()
	idle := b.idle
	b.idle, b.closed = nil, true
	b.mu.Unlock()
	for _, bc := range idle {
		bc.c.Close()
	}
}

// countedConn counts the bytes written to a backend, so that a failed
// request can tell whether the app may have seen any of it.
type countedConn struct {
	net.Conn
	written atomic.Int64
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// heldBody is a request body that can be sent again as long as no byte of
// it was read: a Close from a failed try is ignored until then.
type heldBody struct {
	rc   io.ReadCloser
	read atomic.Bool
	once sync.Once
}

func (b *heldBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.read.Store(true)
	}
	return n, err
}

func (b *heldBody) Close() error {
	if !b.read.Load() {
		return nil
	}
	var err error
	b.once.Do(func() { err = b.rc.Close() })
	return err
}
