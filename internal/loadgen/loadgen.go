// Package loadgen sends paced HTTP GET load to one URL and records every
// request: when it started, how long it took, how it failed and what it
// returned. The benchmark (bench/) and the end-to-end tests of
// cmd/reloader drive swaps under it.
//
// Half the clients (the even ones) open a new connection for every request,
// so each swap is met by fresh connections; the others keep one alive.
// With Options.FreshConns every client opens a new connection each time.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options shape the load.
type Options struct {
	Clients  int           // concurrent clients (default 4)
	Interval time.Duration // each client's pace: one request per Interval, the clients spread evenly over it (default 2ms)
	Timeout  time.Duration // per request (default 10s)
	Max      int           // requests per client before it stops (default 200,000)
	// FreshConns makes every client open a new connection per request (no
	// keep-alive), so each request after an event meets the sockets as
	// they are then.
	FreshConns bool
}

// Sample is one request.
type Sample struct {
	Start   time.Time
	Latency time.Duration
	Kind    string // "" for success, else refused, reset, eof, timeout or other
	Err     string // the error, for a failure
}

// End is when the response (or the error) arrived.
func (s Sample) End() time.Time { return s.Start.Add(s.Latency) }

// Load is load running against a URL.
type Load struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	samples [][]Sample           // per client
	ok      int                  // successful requests
	bodies  map[string]int       // successful response body -> count
	first   map[string]time.Time // body -> when it first arrived
	last    map[string]time.Time // body -> when it last arrived
	arrived chan struct{}        // receives after each success (buffered 1)
}

// Start starts the clients.
func Start(url string, o Options) *Load {
	if o.Clients <= 0 {
		o.Clients = 4
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Max <= 0 {
		o.Max = 200000
	}
	l := &Load{
		stop:    make(chan struct{}),
		samples: make([][]Sample, o.Clients),
		bodies:  map[string]int{},
		first:   map[string]time.Time{},
		last:    map[string]time.Time{},
		arrived: make(chan struct{}, 1),
	}
	start := time.Now()
	for i := range o.Clients {
		tr := &http.Transport{DisableKeepAlives: o.FreshConns || i%2 == 0, MaxIdleConnsPerHost: 1}
		// Client i starts i/Clients of an interval late, so answers arrive
		// evenly (about every Interval/Clients) and a gap between answers
		// measures the server, not clients that all wait at once.
		next := start.Add(time.Duration(i) * o.Interval / time.Duration(o.Clients)).Add(-o.Interval)
		client := &http.Client{Transport: tr, Timeout: o.Timeout}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			for range o.Max {
				next = next.Add(o.Interval)
				if now := time.Now(); next.Before(now) {
					next = now
				}
				select {
				case <-l.stop:
					return
				case <-time.After(time.Until(next)):
				}
				s, body := request(client, url)
				l.record(i, s, body)
			}
		}()
	}
	return l
}

func (l *Load) record(client int, s Sample, body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples[client] = append(l.samples[client], s)
	if s.Kind != "" {
		return
	}
	l.ok++
	l.bodies[body]++
	if _, dup := l.first[body]; !dup {
		l.first[body] = s.End()
	}
	l.last[body] = s.End()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
}

func request(client *http.Client, url string) (Sample, string) {
	s := Sample{Start: time.Now()}
	resp, err := client.Get(url)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
	}
	s.Latency = time.Since(s.Start)
	if err != nil {
		s.Kind, s.Err = Classify(err), err.Error()
	}
	return s, string(body)
}

// Classify names a request error: refused, reset, eof, timeout or other.
func Classify(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timeout"
	}
	return "other"
}

// Wait waits until a response whose body satisfies match arrives at or
// after since (the zero time: at any time, also before the call). It
// returns false on timeout or when ctx is done. One goroutine at a time
// may wait.
func (l *Load) Wait(ctx context.Context, since time.Time, match func(body string) bool, timeout time.Duration) bool {
	return l.waitUntil(ctx, timeout, func() bool {
		for body, t := range l.last {
			if !t.Before(since) && match(body) {
				return true
			}
		}
		return false
	})
}

// OK returns how many requests have succeeded so far.
func (l *Load) OK() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

// WaitOK waits until at least n requests in all have succeeded. It returns
// false on timeout or when ctx is done. One goroutine at a time may wait.
func (l *Load) WaitOK(ctx context.Context, n int, timeout time.Duration) bool {
	return l.waitUntil(ctx, timeout, func() bool { return l.ok >= n })
}

// waitUntil waits until done, called with l.mu held, reports true after a
// success. It returns false on timeout or when ctx is done.
func (l *Load) waitUntil(ctx context.Context, timeout time.Duration, done func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		ok := done()
		l.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-l.arrived:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// First returns when a response whose body satisfies match first arrived,
// or the zero time.
func (l *Load) First(match func(body string) bool) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	var at time.Time
	for body, t := range l.first {
		if match(body) && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at
}

// Snapshot returns the results so far, the load still running.
func (l *Load) Snapshot() *Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &Result{Bodies: map[string]int{}}
	for _, s := range l.samples {
		r.Samples = append(r.Samples, s...)
	}
	for b, n := range l.bodies {
		r.Bodies[b] = n
	}
	slices.SortFunc(r.Samples, func(a, b Sample) int { return a.Start.Compare(b.Start) })
	return r
}

// Finish stops the clients and returns every result.
func (l *Load) Finish() *Result {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	return l.Snapshot()
}

// Result is what the load saw.
type Result struct {
	Samples []Sample       // ordered by start
	Bodies  map[string]int // successful response body -> count
}

// Failures counts the failed requests by kind.
func (r *Result) Failures() map[string]int {
	f := map[string]int{}
	for _, s := range r.Samples {
		if s.Kind != "" {
			f[s.Kind]++
		}
	}
	return f
}

// Failed is the number of failed requests.
func (r *Result) Failed() int {
	n := 0
	for _, c := range r.Failures() {
		n += c
	}
	return n
}

// OK is the number of successful requests.
func (r *Result) OK() int { return len(r.Samples) - r.Failed() }

// Versions counts successful responses by the v of a "version=v ..." body.
func (r *Result) Versions() map[string]int {
	vs := map[string]int{}
	for b, n := range r.Bodies {
		if v, ok := VersionOf(b); ok {
			vs[v] += n
		}
	}
	return vs
}

// String summarises the result with up to five example errors.
func (r *Result) String() string {
	var ex []string
	for _, s := range r.Samples {
		if s.Kind != "" && len(ex) < 5 {
			ex = append(ex, s.Err)
		}
	}
	return fmt.Sprintf("ok=%d failures=%v versions=%v examples=%q", r.OK(), r.Failures(), r.Versions(), ex)
}

// VersionOf extracts v from a "version=v pid=N" body.
func VersionOf(body string) (string, bool) {
	rest, ok := strings.CutPrefix(body, "version=")
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, " ")
	return v, ok
}
