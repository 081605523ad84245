package loadgen

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// The clients' first requests are spread over one interval, a quarter of
// it apart with 4 clients, so answers arrive evenly and not in bursts.
func TestClientsAreSpreadOverTheInterval(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	const interval = 200 * time.Millisecond
	l := Start(srv.URL, Options{Clients: 4, Interval: interval, Max: 1})
	l.wg.Wait() // each client stops after its one request
	res := l.Finish()
	var firsts []time.Time
	for _, s := range res.Samples {
		firsts = append(firsts, s.Start)
	}
	if len(firsts) != 4 {
		t.Fatalf("%d requests, want 4 (one per client)", len(firsts))
	}
	slices.SortFunc(firsts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(firsts); i++ {
		if d := firsts[i].Sub(firsts[i-1]); d < interval/4-interval/20 {
			t.Errorf("client starts %v apart, want about %v (a quarter of the interval)", d, interval/4)
		}
	}
}
