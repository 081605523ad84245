package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// proxyHost is the URL host of every proxied request; the dialer picks the
// real backend, so a swap needs no change to in-flight requests.
const proxyHost = "reloader-backend"

// proxy serves the owned addresses itself and forwards each request to the
// current child's private port. It holds requests while no child answers,
// for at most hold, so even an app that binds its own port sees no refused
// connection across a swap.
type proxy struct {
	log     *slog.Logger
	hold    time.Duration
	backend atomic.Pointer[string] // "127.0.0.1:port" of the serving child; nil before the first
	tr      *http.Transport
	srv     *http.Server
	wg      sync.WaitGroup
}

func newProxy(hold time.Duration, log *slog.Logger) *proxy {
	p := &proxy{log: log, hold: hold}
	p.tr = &http.Transport{
		DialContext:         p.dial,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = proxyHost
			r.Out.Host = r.In.Host
			r.SetXForwarded()
		},
		Transport:     retryTransport{p},
		FlushInterval: -1, // stream every write at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.log.Warn("proxy: no answer from the app", "path", r.URL.Path, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: time.Minute}
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

// switchTo sends new requests to addr and drops idle connections to the
// previous child.
func (p *proxy) switchTo(addr string) {
	p.backend.Store(&addr)
	p.tr.CloseIdleConnections()
}

// dial connects to the current backend, retrying while it refuses (a child
// starting or being replaced) for at most hold.
func (p *proxy) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	deadline := time.Now().Add(p.hold)
	var d net.Dialer
	for {
		var err error
		if b := p.backend.Load(); b != nil {
			var c net.Conn
			if c, err = d.DialContext(ctx, "tcp", *b); err == nil {
				return c, nil
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				return nil, err
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("supervisor: proxy: no app answered within proxy.hold %v: %w", p.hold, cmpErr(err))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func cmpErr(err error) error {
	if err == nil {
		return errors.New("no app is running")
	}
	return err
}

// shutdown stops accepting and waits for in-flight requests, bounded by ctx.
func (p *proxy) shutdown(ctx context.Context) {
	p.srv.Shutdown(ctx)
	p.wg.Wait()
	p.tr.CloseIdleConnections()
}

// retryTransport retries a request that failed before any response, on the
// current backend, while the hold lasts: a child stopped mid-request (an app
// that dies at once on SIGTERM) costs the client nothing if the request can
// be sent again (no body, or one that can be replayed).
type retryTransport struct{ p *proxy }

func (t retryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(t.p.hold)
	for {
		resp, err := t.p.tr.RoundTrip(r)
		if err == nil || r.Context().Err() != nil || time.Now().After(deadline) || !replayable(r) || isUpgrade(r) {
			return resp, err
		}
		if r.GetBody != nil {
			if r.Body, err = r.GetBody(); err != nil {
				return nil, err
			}
		}
		t.p.log.Debug("proxy: retrying on the current app", "path", r.URL.Path)
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

func isUpgrade(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }
