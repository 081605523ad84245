package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The stock server delays the first read of every connection by 20ms (as a
// TLS handshake would), which makes golang/go#65802 bite on a shared socket:
// a connection the old child accepts just before its stop signal is read
// after Shutdown began and closed unanswered.
var stockDelay = []string{"STOCK_CONN_DELAY=20ms"}

// swaps is the number of SIGHUP swaps under load in the steering tests.
const swaps = 20

// Not parallel: the promise rests on a 50ms grace around the queue drain,
// and the package's parallel tests (builds) would take the CPUs from the
// old child during it. It runs before them, on a machine the package does
// not load.
func TestSteeringStockServerLosesNothing(t *testing.T) {
	s := startBinSession(t, "stock", stockDelay)
	from := s.seen
	res := s.hups(swaps)
	t.Logf("steering: %d swaps: %v", swaps, res)
	if res.Failed() != 0 {
		t.Errorf("failed requests with steering: %v", res)
	}
	// Every swap logs that the old accept queue was empty at its stop
	// signal; the last drain may still be running, so wait for each line.
	for i := 0; i < swaps; i++ {
		var drained map[string]string
		drained, from = s.r.waitEvent(from, "queue_drained", 10*time.Second)
		if drained["level"] != "INFO" {
			t.Errorf("swap %d: the old accept queue was not empty at the stop signal: %v", i+1, drained)
		}
	}
	s.shutdown()
}

func TestSharedSocketShowsTheDrops(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "stock", stockDelay, "--steering=false")
	res := s.hups(swaps)
	eof := res.Failures()["eof"]
	if eof == 0 {
		t.Errorf("shared socket (steering off) lost no request; the steering test would prove nothing: %v", res)
	}
	t.Logf("steering off: %d swaps: %d requests lost to EOF", swaps, eof)
	if n := len(s.r.events(0, "queue_drained")); n != 0 {
		t.Errorf("steering off still drained queues (%d times)", n)
	}
	s.shutdown()
}

// earlyAccepts swaps the slow-start server once under load and returns how
// many connections the new child accepted before it sent READY=1.
func earlyAccepts(t *testing.T, extra ...string) int {
	s := startBinSession(t, "slowstart", []string{"SLOW_READY=700ms"}, extra...)
	l := startLoad(s.url)
	waitServed(t, l, "pid="+strconv.Itoa(s.pids[0])+"\n", 30*time.Second)
	pid := s.hup(l)
	re := regexp.MustCompile(`early=(\d+) pid=` + strconv.Itoa(pid) + "\n")
	res := l.Finish()
	if res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	s.shutdown()
	early := -1
	for body := range res.Bodies {
		if m := re.FindStringSubmatch(body); m != nil {
			n, _ := strconv.Atoi(m[1])
			early = max(early, n)
		}
	}
	if early < 0 {
		t.Fatalf("the new child %d never answered: %v", pid, res)
	}
	return early
}

func TestSteeringSlowStartGetsNothingBeforeReady(t *testing.T) {
	t.Parallel()
	if n := earlyAccepts(t); n != 0 {
		t.Errorf("with steering, the new child accepted %d connections before READY=1, want 0", n)
	}
}

func TestSharedSocketSlowStartAcceptsEarly(t *testing.T) {
	t.Parallel()
	n := earlyAccepts(t, "--steering=false")
	if n == 0 {
		t.Error("on a shared socket the slow child accepted nothing before READY=1; the steering test would prove nothing")
	}
	t.Logf("steering off: %d connections accepted before READY=1", n)
}

// A server slow to read what it accepted (300ms per connection, a slow TLS
// handshake) still loses nothing: the stop signal waits until the old
// child has read every request it accepted. With only the 50ms grace, the
// requests it accepted last were read after Shutdown began and closed
// unanswered (golang/go#65802).
func TestSteeringWaitsForAcceptedRequests(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "stock", []string{"STOCK_CONN_DELAY=300ms"})
	res := s.hups(3)
	if res.Failed() != 0 {
		t.Errorf("failed requests with a 300ms first read: %v", res)
	}
	s.shutdown()
}

// A server with no SIGTERM handler (as gin's r.Run) whose requests take
// 200ms, under clients that open a new connection per request, loses
// nothing: the stop signal waits until the old child has answered every
// request it read. With the wait for unread requests alone, the signal
// killed it with requests in hand (EOF).
func TestStopWaitsForRequestsInHand(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "stock", []string{"STOCK_NO_SHUTDOWN=1", "STOCK_HANDLER_DELAY=200ms"})
	l := startFreshLoad(s.url)
	waitServed(t, l, "pid="+strconv.Itoa(s.pids[0])+"\n", 30*time.Second)
	for range 3 {
		s.hup(l)
	}
	if res := l.Finish(); res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	s.shutdown()
}

// A client that connected to the old child before a swap and writes its
// request only after it (a slow client, or one descheduled between connect
// and write) is answered by the old child: the stop signal also waits for
// connections that have sent nothing yet. Without that, the old child,
// which has no SIGTERM handler, died first and the request met EOF.
func TestStopWaitsForAConnectedClient(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "stock", []string{"STOCK_NO_SHUTDOWN=1"})
	old := s.pids[0]
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	from := s.r.mark()
	s.r.cmd.Process.Signal(syscall.SIGHUP)
	s.waitReady()
	// Before the fix the old child was told to stop within about 100ms of
	// the swap; now it waits for this connection.
	drained := func(l string) bool {
		return strings.Contains(l, "event=queue_drained") && strings.Contains(l, "pid="+strconv.Itoa(old))
	}
	if l, _, err := s.r.next(from, drained, nil, 500*time.Millisecond); err == nil {
		t.Logf("the old child was told to stop while a client it accepted had not written: %s", l)
	}
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatalf("write after the swap: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("request written after the swap on a connection to the old child: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "pid="+strconv.Itoa(old)) {
		t.Errorf("answer %q, want one from the old child %d", body, old)
	}
	s.shutdown()
}

// A server that never sends READY=1 (and links no sender) is taken as
// ready by the first rule that holds: /proc shows its listener in its
// epoll set, or the 50ms ready_delay runs out; never the silent-sender
// wait. No request fails across its swaps.
func TestReadinessWithoutNotify(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "stock", nil)
	res := s.hups(3)
	if res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	ready := s.r.events(0, "child_ready")
	if len(ready) != 4 {
		t.Errorf("%d child_ready events, want 4", len(ready))
	}
	for _, a := range ready {
		if a["via"] != "epoll" && a["via"] != "delay" {
			t.Errorf("child %s ready via %q, want epoll or delay", a["pid"], a["via"])
		}
	}
	s.shutdown()
}

func TestGoSystemdActivation(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "gosystemd", nil, "--ready", "notify", "--ready-timeout", "20s")
	res := s.hups(3)
	checkStock(t, "go-systemd server", res)
	for _, a := range s.r.events(0, "child_ready") {
		if a["via"] != "notify" {
			t.Errorf("child %s ready via %q, want notify", a["pid"], a["via"])
		}
	}
	s.shutdown()
}

// An app reloader builds (so instrumented) that links a READY=1 sender is
// ready when it says so, not when /proc shows its listener: the slow-start
// server accepts at once but sends READY=1 only after 700ms.
func TestInstrumentedSenderIsReadyOnNotify(t *testing.T) {
	t.Parallel()
	s := startSession(t, "slowstart", "--env", "SLOW_READY=700ms")
	ready := s.r.events(0, "child_ready")
	if len(ready) != 1 || ready[0]["via"] != "notify" {
		t.Errorf("child_ready = %v, want one, via notify", ready)
	}
	s.shutdown()
}
