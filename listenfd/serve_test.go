package listenfd

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestServeOneServerTwoListeners serves one http.Server on two listeners
// with one Serve call (issue 13, finding 17): the server's hooks are
// installed once (two installs race, which -race reports), and the drain at
// the end answers every request on both.
func TestServeOneServerTwoListeners(t *testing.T) {
	t.Parallel()
	var states sync.Map // net.Conn -> number of StateNew calls seen
	srv := &http.Server{
		Handler: okHandler("ok"),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				n, _ := states.LoadOrStore(c, new(int))
				*n.(*int)++
			}
		},
	}
	lns := []net.Listener{localListener(t), localListener(t)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, srv, lns...) }()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, ln := range lns {
		for range 4 {
			wg.Go(func() {
				for range 20 {
					resp, err := client.Get("http://" + ln.Addr().String() + "/")
					if err != nil {
						t.Error(err)
						return
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || string(b) != "ok" {
						t.Errorf("body %q, err %v", b, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve: %v", err)
	}
	states.Range(func(c, n any) bool {
		if *n.(*int) != 1 {
			t.Errorf("ConnState(StateNew) called %d times for one connection, want 1", *n.(*int))
		}
		return true
	})
}
