//go:build linux

package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sample is one request of the load.
type sample struct {
	start time.Time
	lat   time.Duration
	kind  string // "" for success, else refused, reset, eof, timeout, other
}

// load runs clients against a URL: half open a new connection per request,
// half keep one alive. Each client paces itself to one request per
// interval, and stops after maxRequests or when stopped.
type load struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	samples [][]sample           // per client
	seen    map[string]time.Time // version -> first response carrying it
	newSeen chan struct{}        // receives after a version is first seen (buffered 1)
}

const maxRequests = 200000

func startLoad(url string, clients int, interval time.Duration) *load {
	l := &load{
		stop:    make(chan struct{}),
		samples: make([][]sample, clients),
		seen:    map[string]time.Time{},
		newSeen: make(chan struct{}, 1),
	}
	for i := range clients {
		tr := &http.Transport{DisableKeepAlives: i%2 == 0, MaxIdleConnsPerHost: 1}
		client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			next := time.Now()
			for range maxRequests {
				next = next.Add(interval)
				if now := time.Now(); next.Before(now) {
					next = now
				}
				select {
				case <-l.stop:
					return
				case <-time.After(time.Until(next)):
				}
				s, body := request(client, url)
				l.mu.Lock()
				l.samples[i] = append(l.samples[i], s)
				if s.kind == "" {
					if v, ok := versionOf(body); ok {
						if _, dup := l.seen[v]; !dup {
							l.seen[v] = s.start.Add(s.lat)
							select {
							case l.newSeen <- struct{}{}:
							default:
							}
						}
					}
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

func request(client *http.Client, url string) (sample, string) {
	s := sample{start: time.Now()}
	resp, err := client.Get(url)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
	}
	s.lat = time.Since(s.start)
	if err != nil {
		s.kind = classify(err)
	}
	return s, string(body)
}

// versionOf extracts v from a "version=v pid=N" body.
func versionOf(body string) (string, bool) {
	rest, ok := strings.CutPrefix(body, "version=")
	if !ok {
		return "", false
	}
	v, _, ok := strings.Cut(rest, " ")
	return v, ok
}

// classify names a request error: refused, reset, eof, timeout or other.
func classify(err error) string {
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

// waitVersion waits until a response carrying version v arrives and
// returns when it arrived.
func (l *load) waitVersion(ctx context.Context, v string, timeout time.Duration) (time.Time, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		at, ok := l.seen[v]
		l.mu.Unlock()
		if ok {
			return at, true
		}
		select {
		case <-l.newSeen:
		case <-deadline.C:
			return time.Time{}, false
		case <-ctx.Done():
			return time.Time{}, false
		}
	}
}

// finish stops the clients and returns every sample, ordered by start.
func (l *load) finish() []sample {
	close(l.stop)
	l.wg.Wait()
	var all []sample
	for _, s := range l.samples {
		all = append(all, s...)
	}
	slices.SortFunc(all, func(a, b sample) int { return a.start.Compare(b.start) })
	return all
}

// loadStats summarises the samples that started in a window.
type loadStats struct {
	requests int
	failures map[string]int
	p50, p99 time.Duration
	max      time.Duration
	gap      time.Duration // longest time without a successful response
	gapAt    time.Time     // when it began
}

func (s loadStats) failed() int {
	n := 0
	for _, c := range s.failures {
		n += c
	}
	return n
}

func summarise(all []sample, from, to time.Time) loadStats {
	st := loadStats{failures: map[string]int{}}
	var lats []time.Duration
	for _, s := range all {
		if s.start.Before(from) || !s.start.Before(to) {
			continue
		}
		st.requests++
		if s.kind != "" {
			st.failures[s.kind]++
			continue
		}
		lats = append(lats, s.lat)
	}
	st.gap, st.gapAt = longestGap(all, from, to)
	if len(lats) == 0 {
		return st
	}
	slices.Sort(lats)
	st.p50 = lats[len(lats)/2]
	st.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	st.max = lats[len(lats)-1]
	return st
}

// longestGap returns the longest time within [from, to] in which no
// successful response arrived, and when it began.
func longestGap(all []sample, from, to time.Time) (time.Duration, time.Time) {
	var ends []time.Time
	for _, s := range all {
		if e := s.start.Add(s.lat); s.kind == "" && e.After(from) && e.Before(to) {
			ends = append(ends, e)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	at, prev := from, from
	for _, e := range append(ends, to) {
		if d := e.Sub(prev); d > gap {
			gap, at = d, prev
		}
		prev = e
	}
	return gap, at
}
