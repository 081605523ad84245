package supervisor

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// liveProxy opens the proxy as reloader builds it with live reload on, in
// front of the test binary's "graceful" app (a net/http server in its own
// process on its private loopback port), and returns the app's URL and the
// proxy's.
func liveProxy(tb testing.TB) (direct, proxied string) {
	tb.Helper()
	ctx := context.Background()
	web := []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
	cfg := config(func(c *Config) {
		c.Command, c.Listen, c.Proxy, c.LiveReload = []string{"app"}, web, true, true
	})
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	s := &Supervisor{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	s.live = newLiveReload(s)
	srv, err := openServer(ctx, cfg, s, true)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := srv.handout(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	mode := filepath.Join(tb.TempDir(), "mode")
	if err := os.WriteFile(mode, []byte("graceful"), 0o644); err != nil {
		tb.Fatal(err)
	}
	app := exec.Command(os.Args[0])
	app.Env = append(os.Environ(), childModeEnv+"="+mode)
	app.Env = append(app.Env, h.env...)
	app.Stderr = os.Stderr
	if err := app.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { app.Wait(); close(exited) }()
	tb.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.shutdown(sctx)
		srv.release(h)
		srv.close()
		app.Process.Kill()
		<-exited
	})
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := probe(pctx, h.backend, exited); err != nil {
		tb.Fatalf("the app on %s: %v", h.backend, err)
	}
	srv.promote(h)
	return "http://" + h.backend + "/ping", "http://" + srv.addrs()[0].Addr + "/ping"
}

// pinger sends GETs over one keep-alive connection, as the bench does.
type pinger struct {
	c   *http.Client
	url string
}

func newPinger(url string) *pinger {
	return &pinger{url: url, c: &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
}

// get returns the time from sending the request to reading the whole body.
func (p *pinger) get(tb testing.TB) time.Duration {
	t0 := time.Now()
	resp, err := p.c.Get(p.url)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %d %v", p.url, resp.StatusCode, err)
	}
	return d
}

// BenchmarkProxyLatency measures sequential keep-alive GETs of a small
// text response from a net/http app in its own process on 127.0.0.1: served directly (the
// baseline), through the live-reload proxy, and both alternating, which
// reports the medians and the median of the paired differences as the
// bench's browser scenario does (issue 15: at most 0.3 ms).
//
//	go test ./supervisor -run '^$' -bench ProxyLatency -benchtime 4000x
func BenchmarkProxyLatency(b *testing.B) {
	direct, proxied := liveProxy(b)
	for _, c := range []struct{ name, url string }{{"direct", direct}, {"proxy", proxied}} {
		b.Run(c.name, func(b *testing.B) {
			p := newPinger(c.url)
			p.get(b) // the connection is open before the clock starts
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				p.get(b)
			}
		})
	}
	b.Run("paired", func(b *testing.B) {
		pd, pp := newPinger(direct), newPinger(proxied)
		pd.get(b)
		pp.get(b)
		d, p, diff := make([]time.Duration, b.N), make([]time.Duration, b.N), make([]time.Duration, b.N)
		b.ResetTimer()
		for i := range b.N {
			d[i], p[i] = pd.get(b), pp.get(b)
			diff[i] = p[i] - d[i]
		}
		b.StopTimer()
		b.ReportMetric(medianMicros(d), "µs-p50-direct")
		b.ReportMetric(medianMicros(p), "µs-p50-proxy")
		b.ReportMetric(medianMicros(diff), "µs-p50-overhead")
	})
}

func medianMicros(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Microsecond)
}
