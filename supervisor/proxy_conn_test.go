package supervisor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// writeCounter counts the writes made on the connections it accepts.
type writeCounter struct {
	net.Listener
	writes atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// frontApp serves app on 127.0.0.1 behind the proxy with live reload on,
// as reloader builds it, and returns the proxy's URL and the writes made
// to its clients.
func frontApp(t *testing.T, app http.Handler) (string, *writeCounter) {
	t.Helper()
	as := httptest.NewServer(app)
	t.Cleanup(as.Close)
	s := &Supervisor{log: slog.New(slog.DiscardHandler)}
	s.live = newLiveReload(s)
	p := newProxy(5*time.Second, s.log)
	p.srv.Handler = s.live.handler(p.srv.Handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wc := &writeCounter{Listener: ln}
	p.serve([]net.Listener{wc})
	p.switchTo(p.add(strings.TrimPrefix(as.URL, "http://")))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.shutdown(ctx)
	})
	return "http://" + ln.Addr().String(), wc
}

// Issue 15: a small answer the app sends whole leaves the proxy in one
// write, header and body, not one for each (FlushInterval -1 flushed the
// header from a timer, then the body).
func TestProxyWholeAnswerOneWrite(t *testing.T) {
	t.Parallel()
	url, wc := frontApp(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "pong\n")
	}))
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 10 * time.Second}
	const n = 50
	for range n {
		resp, err := c.Get(url + "/ping")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "pong\n" {
			t.Fatalf("body %q, %v", b, err)
		}
	}
	if got := wc.writes.Load(); got != n {
		t.Errorf("%d answers took %d writes to the client, want %d", n, got, n)
	}
}

// An answer with a Content-Length that the app sends in pieces reaches the
// client piece by piece: its header before any of the body, and each
// piece before the app writes the next.
func TestProxyStreamsKnownLength(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	url, _ := frontApp(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", "6")
		w.WriteHeader(http.StatusOK)
		for _, piece := range []string{"", "ab", "cd", "ef"} {
			io.WriteString(w, piece)
			http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	// A buffered answer fails here instead of hanging the test.
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url + "/file")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	next <- struct{}{} // the header came first: now the first piece
	for _, want := range []string{"ab", "cd", "ef"} {
		got := make([]byte, 2)
		if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != want {
			t.Fatalf("piece %q, %v; want %q", got, err, want)
		}
		if want != "ef" {
			next <- struct{}{}
		}
	}
	close(next)
}

// A kept-alive connection the app closed while it was idle costs the
// client nothing: the request goes again on a new connection, as with
// http.Transport, even with no swap under way.
func TestProxyRetriesConnectionClosedWhileIdle(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{}, 1)
	var conns atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // answers one request per connection, then closes it unannounced
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func() {
				defer func() { c.Close(); closed <- struct{}{} }()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n%d\n", n)
			}()
		}
	}()
	s := &Supervisor{log: slog.New(slog.DiscardHandler)}
	p := newProxy(5*time.Second, s.log)
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.serve([]net.Listener{pl})
	p.switchTo(p.add(ln.Addr().String()))
	t.Cleanup(func() { p.shutdown(context.Background()) })
	url := "http://" + pl.Addr().String() + "/"
	for i := 1; i <= 3; i++ {
		code := send(t, "GET", url)
		if code != http.StatusOK {
			t.Fatalf("GET %d: status %d, want 200", i, code)
		}
		<-closed // the proxy's pooled connection is now stale
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 GETs, want 3", n)
	}
}

// A client that goes away mid-answer ends the app's request too: the
// proxy closes its connection to the app instead of reading on.
func TestProxyClientGoneClosesAppConnection(t *testing.T) {
	t.Parallel()
	appDone, testDone := make(chan struct{}), make(chan struct{})
	url, _ := frontApp(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		io.WriteString(w, "first")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
			close(appDone)
		case <-testDone: // failed: the app's server can close
		}
	}))
	t.Cleanup(func() { close(testDone) }) // before frontApp's cleanups
	c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	resp, err := c.Get(url + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != "first" {
		t.Fatalf("first bytes %q, %v", got, err)
	}
	resp.Body.Close()
	c.CloseIdleConnections()
	select {
	case <-appDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the app's request did not end within 10s of the client's going")
	}
}

// Informational answers (103 Early Hints) reach the client before the
// final one, with their headers.
func TestProxyForwards1xx(t *testing.T) {
	t.Parallel()
	url, _ := frontApp(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Trailer", "X-Sum")
		io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
	}))
	var hints []string
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
			return nil
		},
	})
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/", nil)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if len(hints) != 1 || hints[0] != "103 </app.css>; rel=preload" || string(b) != "body" || resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("1xx %q, body %q, trailer %q; want one 103 with its Link, the body and X-Sum: 42", hints, b, resp.Trailer.Get("X-Sum"))
	}
}

// A request the app read and dropped on a kept-alive connection is sent
// again only if it can be replayed: a DELETE, once, answered 502 (no swap
// under way), as http.Transport would.
func TestProxyNoReplayOfDroppedDelete(t *testing.T) {
	t.Parallel()
	var deletes atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // answers GETs, reads a DELETE and closes without an answer
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if req.Method == "DELETE" {
						deletes.Add(1)
						return
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
				}
			}()
		}
	}()
	p := newProxy(5*time.Second, slog.New(slog.DiscardHandler))
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.serve([]net.Listener{pl})
	p.switchTo(p.add(ln.Addr().String()))
	t.Cleanup(func() { p.shutdown(context.Background()) })
	url := "http://" + pl.Addr().String() + "/"
	if code := send(t, "GET", url); code != http.StatusOK {
		t.Fatalf("GET: status %d, want 200", code)
	}
	// The DELETE goes on the GET's pooled connection.
	if code := send(t, "DELETE", url); code != http.StatusBadGateway || deletes.Load() != 1 {
		t.Errorf("DELETE the app dropped: status %d after %d tries, want 502 after 1", code, deletes.Load())
	}
}
