package supervisor

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// openProxy opens a proxy server on a loopback port with hold.
func openProxy(t *testing.T, hold time.Duration) (server, string) {
	t.Helper()
	ctx := context.Background()
	web := []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
	cfg := config(func(c *Config) { c.Command, c.Listen, c.Proxy, c.ProxyHold = []string{"app"}, web, true, hold })
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := openServer(ctx, cfg, &Supervisor{log: slog.New(slog.DiscardHandler)}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.shutdown(sctx)
		srv.close()
	})
	return srv, "http://" + srv.addrs()[0].Addr + "/"
}

// dropper plays a child on h's private port whose handler reads the
// request and drops the connection without an answer, counting the tries.
func dropper(t *testing.T, h *handout, tries *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", h.backend)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		tries.Add(1)
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// send makes one request on a fresh connection and returns its status.
func send(t *testing.T, method, url string) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("payload")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 13, finding 6: the proxy must not replay a failing request in a
// tight loop. With no swap under way, a request the app dropped after
// reading it is sent once and answered 502; during a swap, an idempotent
// one is sent again with a backoff, a POST never.
func TestProxyRetriesOnlyDuringSwapWithBackoff(t *testing.T) {
	t.Parallel()
	const hold = time.Second
	srv, url := openProxy(t, hold)
	ctx := context.Background()
	h1, err := srv.handout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int64
	dropper(t, h1, &tries)
	srv.promote(h1)

	if code := send(t, "GET", url); code != http.StatusBadGateway || tries.Load() != 1 {
		t.Errorf("no swap under way: GET got %d after %d tries, want 502 after 1", code, tries.Load())
	}

	// A new generation is on its way: a swap is under way.
	h2, err := srv.handout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.release(h2)
	tries.Store(0)
	if code := send(t, "POST", url); code != http.StatusBadGateway || tries.Load() != 1 {
		t.Errorf("swap under way: POST the app read got %d after %d tries, want 502 after 1", code, tries.Load())
	}
	tries.Store(0)
	start := time.Now()
	code := send(t, "GET", url)
	took := time.Since(start)
	// A backoff doubling from 10ms to 200ms fits about 10 tries in 1s.
	if n := tries.Load(); code != http.StatusBadGateway || n < 2 || n > 20 {
		t.Errorf("swap under way: GET got %d after %d tries in %v, want 502 after 2 to 20 (backoff within proxy.hold %v)", code, n, took, hold)
	}
}

// Issue 13, finding 19d: --proxy on a platform without fd inheritance
// (Windows) must serve through the proxy, which needs no inherited fd: the
// child gets a private port in $PORT and no fds. Without proxy it falls
// back to bare.
func TestProxyWithoutFDInheritance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &Supervisor{log: slog.New(slog.DiscardHandler)}
	web := []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
	cfg := config(func(c *Config) { c.Command, c.Listen, c.Proxy = []string{"app"}, web, true })
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := openServer(ctx, cfg, s, false)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	defer srv.shutdown(ctx)
	if _, ok := srv.(proxyServer); !ok {
		t.Fatalf("--proxy without fd inheritance: server is %T, want proxyServer", srv)
	}
	if len(srv.addrs()) != 1 || strings.HasSuffix(srv.addrs()[0].Addr, ":0") {
		t.Errorf("proxy addresses %v, want one with its port chosen", srv.addrs())
	}
	h, err := srv.handout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.release(h)
	if len(h.fds) != 0 || len(h.env) != 1 || !strings.HasPrefix(h.env[0], "PORT=") {
		t.Errorf("handout fds %v env %v, want no fds and PORT", h.fds, h.env)
	}

	cfg.Proxy = false
	if srv, err := openServer(ctx, cfg, s, false); err != nil || srv != (bare{}) {
		t.Errorf("-l without fd inheritance: %T %v, want bare", srv, err)
	}
}
