package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
)

// testPace is each test client's pace: 4 clients spread over it send
// 800 requests/s, enough that every swap window meets dozens of fresh and
// reused connections, and light enough that the suite's parallel load tests
// leave the niced builds they wait for some CPU (at 2ms, builds of a few
// seconds took over a minute on 2 cores).
const testPace = 5 * time.Millisecond

// startLoad runs 4 clients against url, each sending a request every
// testPace: half open a new connection per request, half keep one alive.
func startLoad(url string) *loadgen.Load {
	return loadgen.Start(url, loadgen.Options{Clients: 4, Interval: testPace, Timeout: 10 * time.Second})
}

// startFreshLoad runs 4 clients against url that each open a new connection
// for every request, so each request after an event meets the sockets as
// they are then. A request that hangs fails after 5s.
func startFreshLoad(url string) *loadgen.Load {
	return loadgen.Start(url, loadgen.Options{Clients: 4, Interval: testPace, Timeout: 5 * time.Second, FreshConns: true})
}

// waitOK waits until n more requests of the load succeed, and, unless pid
// is 0, one sent from now on is answered by pid. Failures do not count.
func waitOK(t *testing.T, l *loadgen.Load, n, pid int) {
	t.Helper()
	goal := l.OK() + n
	if pid != 0 {
		waitServed(t, l, fmt.Sprintf("pid=%d\n", pid), 90*time.Second)
	}
	if !l.WaitOK(t.Context(), goal, 90*time.Second) {
		t.Fatalf("only %d of %d more requests succeeded (pid %d); %v", l.OK()-(goal-n), n, pid, l.Snapshot())
	}
}

// finishClean stops the load and fails t if any request failed.
func finishClean(t *testing.T, l *loadgen.Load) {
	t.Helper()
	res := l.Finish()
	t.Logf("requests: %v", res)
	if n := res.Failed(); n > 0 {
		t.Errorf("%d requests failed: %v", n, res)
	}
}

// waitServed waits until the load gets a response containing want, sent
// after the call.
func waitServed(t *testing.T, l *loadgen.Load, want string, timeout time.Duration) {
	t.Helper()
	since := time.Now()
	if !l.Wait(t.Context(), since, func(body string) bool { return strings.Contains(body, want) }, timeout) {
		t.Fatalf("no response with %q within %v; %v", want, timeout, l.Snapshot())
	}
}

// get makes one request on a fresh connection.
func get(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, resp.Body)
	return buf.String(), err
}

// waitPid makes requests until one is answered by pid. The old child may
// still answer for a moment after the swap, since both share the socket.
func waitPid(t *testing.T, url string, pid int) {
	t.Helper()
	want := fmt.Sprintf("pid=%d\n", pid)
	var body string
	var err error
	for i := 0; i < 2000; i++ {
		if body, err = get(url); err == nil && strings.HasSuffix(body, want) {
			return
		}
	}
	t.Fatalf("pid %d never answered; last response %q %v", pid, body, err)
}
