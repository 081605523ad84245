package supervisor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runGracefulApp is the test child's "graceful" mode: it binds
// 127.0.0.1:$PORT, answers every request with its pid and the body length,
// and on SIGTERM stops with http.Server.Shutdown.
func runGracefulApp() {
	srv := &http.Server{Addr: "127.0.0.1:" + os.Getenv("PORT"), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "pid=%d len=%d\n", os.Getpid(), n)
	})}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Exit(0)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "graceful app:", err)
		os.Exit(1)
	}
	select {}
}

// Issue 13, finding 5: POSTs (not replayable) through the proxy under
// concurrent load lose nothing across swaps of a graceful app. Half the
// clients open a new connection per request.
func TestProxyPostsSurviveSwaps(t *testing.T) {
	t.Parallel()
	events := make(chan Event, 256)
	cfg := config(func(c *Config) {
		c.Listen = []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
		c.Proxy = true
		c.OnEvent = func(ev Event) {
			switch ev.(type) {
			case Swapped, ChildExited, StartFailed, Crashed:
				events <- ev
			}
		}
	})
	h := newHarnessMode(t, cfg, "graceful")
	wait := func(what string, ok func(Event) bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case ev := <-events:
				switch ev.(type) {
				case StartFailed, Crashed:
					t.Fatalf("waiting for %s: %#v", what, ev)
				}
				if ok(ev) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s within 60s", what)
			}
		}
	}
	isSwap := func(ev Event) bool { _, ok := ev.(Swapped); return ok }
	wait("first swap", isSwap)

	url := h.url
	var (
		mu       sync.Mutex
		ok       int
		pids     = map[string]bool{}
		failures []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableKeepAlives: i%2 == 0}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				payload := strings.Repeat("x", 100+n%900)
				resp, err := c.Post(url, "text/plain", strings.NewReader(payload))
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && (resp.StatusCode != 200 || !strings.HasSuffix(string(body), fmt.Sprintf(" len=%d\n", len(payload)))) {
						err = fmt.Errorf("status %d body %q", resp.StatusCode, body)
					}
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					ok++
					pid, _, _ := strings.Cut(string(body), " ")
					pids[pid] = true
				}
				mu.Unlock()
			}
		}()
	}
	const swaps = 8
	for i := range swaps {
		h.s.Reload(fmt.Sprintf("swap %d", i+1))
		wait("swap", isSwap)
		wait("old child's exit", func(ev Event) bool { _, ok := ev.(ChildExited); return ok })
	}
	close(stop)
	wg.Wait()
	t.Logf("%d POSTs ok from %d apps, %d failed", ok, len(pids), len(failures))
	if len(failures) > 0 || ok == 0 || len(pids) < 2 {
		t.Errorf("%d POSTs ok from %d apps, %d failed across %d swaps: %q", ok, len(pids), len(failures), swaps, failures[:min(5, len(failures))])
	}
}
