package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"
)

// proxy serves the owned addresses itself and forwards each request to the
// current child's private port. It holds requests while no child answers,
// for at most hold, so even an app that binds its own port sees no refused
// connection across a swap.
type proxy struct {
	log  *slog.Logger
	hold time.Duration
	srv  *http.Server
	wg   sync.WaitGroup
	// htmlErrors answers a browser's page request that no app answered with
	// a small HTML page, which live reload puts its script into, so the
	// overlay shows and the page reloads at the next swap. Set before serve.
	htmlErrors bool

	mu      sync.Mutex
	cur     *backend          // the promoted generation's; nil before the first
	open    map[*backend]bool // handed out and not yet released
	changed chan struct{}     // closed and replaced when cur changes or a backend goes
}

func newProxy(hold time.Duration, log *slog.Logger) *proxy {
	p := &proxy{log: log, hold: hold, open: map[*backend]bool{}, changed: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = proxyHost
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		Transport: retryTransport{p},
		// An answer with a Content-Length is flushed before each read
		// that waits for the app (connBody, flushingBody): one that
		// arrives whole goes out in one write, header and body. Without a
		// Content-Length, or an event stream, every write is flushed at
		// once.
		FlushInterval: 0,
		BufferPool:    &copyBuffers{},
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.log.Warn("proxy: no answer from the app", "path", r.URL.Path, "err", err)
			if p.htmlErrors && strings.Contains(r.Header.Get("Accept"), "text/html") {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, errorPage)
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	// The answer's body flushes the client's writer (flusher).
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), writerKey{}, w)))
	})
	p.srv = &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	return p
}

// serve accepts on every listener until shutdown.
func (p *proxy) serve(lns []net.Listener) {
	for _, ln := range lns {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.srv.Serve(ln)
		}()
	}
}

// add makes a backend for a new generation's private port addr.
func (p *proxy) add(addr string) *backend {
	b := newBackend(addr)
	p.mu.Lock()
	p.open[b] = true
	p.mu.Unlock()
	return b
}

// switchTo sends new requests to b.
func (p *proxy) switchTo(b *backend) {
	p.mu.Lock()
	p.cur = b
	p.changedLocked()
	p.mu.Unlock()
}

// remove forgets b, once its child is gone, and closes its connections.
func (p *proxy) remove(b *backend) {
	p.mu.Lock()
	delete(p.open, b)
	if p.cur == b {
		p.cur = nil
	}
	p.changedLocked()
	p.mu.Unlock()
	b.close()
}

func (p *proxy) changedLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// pick returns the current backend, counting a request sent to it until
// done, and the state as state does.
func (p *proxy) pick() (cur *backend, changed <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		p.cur.pending++
	}
	return p.cur, p.changed
}

// done ends the count pick started: b has answered the request, or failed.
func (p *proxy) done(b *backend) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.pending--; b.pending == 0 && b.quiet != nil {
		close(b.quiet)
		b.quiet = nil
	}
}

// retire waits, for at most limit, until every request sent to b has been
// answered: an app that stops gracefully closes the connections it has
// read nothing from yet, which would fail a request chosen just before the
// swap. Then it closes b's idle connections. It returns how many requests
// were still unanswered.
func (p *proxy) retire(b *backend, limit time.Duration) int {
	p.mu.Lock()
	if b.pending > 0 && b.quiet == nil {
		b.quiet = make(chan struct{})
	}
	quiet := b.quiet
	p.mu.Unlock()
	if quiet != nil {
		t := time.NewTimer(limit)
		select {
		case <-quiet:
		case <-t.C:
		}
		t.Stop()
	}
	b.close()
	p.mu.Lock()
	defer p.mu.Unlock()
	return b.pending
}

// state returns the current backend, whether a swap or restart is under
// way (no current backend, or another generation started or not yet
// gone), and a channel closed at the next change.
func (p *proxy) state() (cur *backend, changing bool, changed <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur, p.cur == nil || !p.open[p.cur] || len(p.open) > 1, p.changed
}

// shutdown stops accepting and waits for in-flight requests, bounded by ctx.
func (p *proxy) shutdown(ctx context.Context) {
	p.srv.Shutdown(ctx)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for b := range p.open {
		b.close()
	}
}

// replayable reports whether r may be sent again, by the rules
// http.Transport uses: an idempotent method (or an Idempotency-Key) and a
// body that can be read again.
func replayable(r *http.Request) bool {
	switch r.Method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
	default:
		if r.Header.Get("Idempotency-Key") == "" && r.Header.Get("X-Idempotency-Key") == "" {
			return false
		}
	}
	return r.Body == nil || r.Body == http.NoBody || r.GetBody != nil
}

// freePort picks a loopback port for a child's private listener.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("supervisor: proxy: pick a private port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// probe waits until addr accepts a connection. The app binds this port
// itself, so a connection means it listens (unlike a socket reloader owns,
// where the kernel answers from the backlog).
func probe(ctx context.Context, addr string, done <-chan struct{}) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return io.EOF
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// errorPage is the page a browser gets when no app answers, under live
// reload.
const errorPage = `<!doctype html><html><head><title>502: no app answers</title></head>` +
	`<body><p>reloader: no app answers yet; this page reloads when one does.</p></body></html>`

// copyBuffers lends the proxy's body copies their 32 KiB buffers: one
// allocated per request was most of the proxy's garbage.
type copyBuffers struct{ pool sync.Pool }

func (c *copyBuffers) Get() []byte {
	if b, ok := c.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (c *copyBuffers) Put(b []byte) { c.pool.Put(&b) }

func isUpgrade(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }
