package supervisor

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

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
