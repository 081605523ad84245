package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The stock server delays the first read of every connection by 20ms (as a
// TLS handshake would), which makes golang/go#65802 bite on a shared socket:
// a connection the old child accepts just before its stop signal is read
// after Shutdown began and closed unanswered.
const stockDelay = "20ms"

func TestSteeringStockServerLosesNothing(t *testing.T) {
	t.Setenv("STOCK_CONN_DELAY", stockDelay)
	const n = 20
	s, res := runEdits(t, "stock", n)
	if res.failed() != 0 {
		t.Errorf("failed requests with steering: %v", res)
	}
	// Every swap logs that the old accept queue was empty at its stop
	// signal; the last drain may still be running, so wait for each line.
	empty := regexp.MustCompile(`msg="old accept queue empty; sending stop signal" pid=(\d+)`)
	from := 0
	for i := 0; i < n; i++ {
		_, from = s.r.waitLine(from, empty, 10*time.Second)
	}
	s.shutdown()
}

func TestSharedSocketShowsTheDrops(t *testing.T) {
	t.Setenv("STOCK_CONN_DELAY", stockDelay)
	s, res := runEdits(t, "stock", 20, "--steering=false")
	res.mu.Lock()
	eof := res.failures["eof"]
	res.mu.Unlock()
	if eof == 0 {
		t.Errorf("shared socket (steering off) lost no request; the steering test would prove nothing: %v", res)
	}
	t.Logf("steering off: %d requests lost to EOF", eof)
	if strings.Contains(s.r.output(), "old accept queue empty") {
		t.Error("steering off still drained queues")
	}
	s.shutdown()
}

// earlyAccepts edits the slow-start server once under load and returns how
// many connections the new child accepted before it sent READY=1.
func earlyAccepts(t *testing.T, extra ...string) int {
	t.Setenv("SLOW_READY", "700ms")
	s := startSession(t, "slowstart", extra...)
	l := startLoad(s.url, 4)
	l.waitServed(t, "version=v1 ", 30*time.Second)
	setVersion(t, s.dir, "v2")
	s.waitReady()
	re := regexp.MustCompile(`version=v2 early=(\d+) `)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case body := <-l.latest:
			if m := re.FindStringSubmatch(body); m != nil {
				if res := l.finish(); res.failed() != 0 {
					t.Errorf("failed requests: %v", res)
				}
				s.shutdown()
				n, _ := strconv.Atoi(m[1])
				return n
			}
		case <-deadline:
			t.Fatal("v2 never served")
		}
	}
}

func TestSteeringSlowStartGetsNothingBeforeReady(t *testing.T) {
	if n := earlyAccepts(t); n != 0 {
		t.Errorf("with steering, the new child accepted %d connections before READY=1, want 0", n)
	}
}

func TestSharedSocketSlowStartAcceptsEarly(t *testing.T) {
	n := earlyAccepts(t, "--steering=false")
	if n == 0 {
		t.Error("on a shared socket the slow child accepted nothing before READY=1; the steering test would prove nothing")
	}
	t.Logf("steering off: %d connections accepted before READY=1", n)
}
