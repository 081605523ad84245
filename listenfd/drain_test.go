package listenfd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

const rawGET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n"

func localListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func okHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
}

// lateRequestServer returns a server whose ConnState hook reports each new
// connection on the returned channel.
func lateRequestServer() (*http.Server, chan net.Conn) {
	newConns := make(chan net.Conn, 16)
	srv := &http.Server{
		Handler: okHandler("ok"),
		ConnState: func(c net.Conn, s http.ConnState) {
			if s == http.StateNew {
				newConns <- c
			}
		},
	}
	return srv, newConns
}

func dial(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// Guards against hanging on failure only; never used to synchronise.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// TestPlainShutdownDropsLateRequest is the control experiment: it shows
// that the construction used by TestDrainerAnswersLateRequest detects the
// loss that http.Server.Shutdown causes (golang/go#65802). The connection is
// accepted before Shutdown, its request arrives after Shutdown began, and
// net/http closes it without an answer.
func TestPlainShutdownDropsLateRequest(t *testing.T) {
	ln := localListener(t)
	srv, newConns := lateRequestServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	c := dial(t, ln)
	<-newConns // accepted, in StateNew

	shutErr := make(chan error, 1)
	go func() { shutErr <- srv.Shutdown(context.Background()) }()
	// Serve returns once Shutdown closed the listener, which it does after
	// marking the server as shutting down.
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}

	io.WriteString(c, rawGET)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("plain Shutdown answered the late request (%s); net/http no longer drops it "+
			"(golang/go#65802 fixed?), so this test no longer shows what Drainer prevents", resp.Status)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("late request failed with %v", err)
	}
	if err := <-shutErr; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

// TestDrainerAnswersLateRequest: same construction as the control, but
// through a Drainer, whose Shutdown waits for the accepted connection's
// request and answers it.
func TestDrainerAnswersLateRequest(t *testing.T) {
	ln := localListener(t)
	srv, newConns := lateRequestServer() // the ConnState hook also checks chaining
	onShutdown := make(chan struct{})
	srv.RegisterOnShutdown(func() { close(onShutdown) })
	// A generous bound, so that a slow machine cannot turn the wait into
	// a drop; DefaultNewConnTimeout is ample for real clients.
	d := &Drainer{Server: srv, NewConnTimeout: time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.Serve(ln) }()

	c := dial(t, ln)
	<-newConns

	shutErr := make(chan error, 1)
	go func() { shutErr <- d.Shutdown(context.Background()) }()
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	select {
	case <-onShutdown:
		t.Fatal("http.Server.Shutdown began while an accepted connection had not sent its request")
	default:
	}

	io.WriteString(c, rawGET)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("late request on an accepted connection was dropped: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("got %s %q, want 200 \"ok\"", resp.Status, body)
	}
	if !resp.Close {
		t.Errorf("response during drain lacks Connection: close")
	}
	if err := <-shutErr; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

// TestDrainerInFlight: a request in its handler when Shutdown starts is
// completed, with Connection: close, and Shutdown waits for it.
func TestDrainerInFlight(t *testing.T) {
	ln := localListener(t)
	inHandler, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inHandler)
		<-release
		io.WriteString(w, "done")
	})}
	d := &Drainer{Server: srv}
	serveErr := make(chan error, 1)
	go func() { serveErr <- d.Serve(ln) }()

	c := dial(t, ln)
	io.WriteString(c, rawGET)
	<-inHandler

	shutErr := make(chan error, 1)
	go func() { shutErr <- d.Shutdown(context.Background()) }()
	<-serveErr // listener closed, keep-alives disabled
	close(release)

	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("in-flight request dropped: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "done" || !resp.Close {
		t.Errorf("got body %q close=%v, want \"done\" with Connection: close", body, resp.Close)
	}
	if err := <-shutErr; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

// TestDrainerClosesSilentConn: a connection that sends nothing is waited for
// only NewConnTimeout, then closed, so Shutdown does not hang on it.
func TestDrainerClosesSilentConn(t *testing.T) {
	ln := localListener(t)
	srv, newConns := lateRequestServer()
	d := &Drainer{Server: srv, NewConnTimeout: 20 * time.Millisecond}
	go d.Serve(ln)

	c := dial(t, ln)
	<-newConns
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("silent connection still open after Shutdown (read %d bytes)", n)
	}
	if err := d.Serve(localListener(t)); !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v, want ErrServerClosed", err)
	}
}

type failingListener struct{ net.Listener }

var errBoom = errors.New("boom")

func (failingListener) Accept() (net.Conn, error) { return nil, errBoom }

func TestRunReturnsServeError(t *testing.T) {
	d := &Drainer{Server: &http.Server{}}
	if err := d.Run(context.Background(), failingListener{localListener(t)}); !errors.Is(err, errBoom) {
		t.Fatalf("Run = %v, want %v", err, errBoom)
	}
}

func TestServeStopsOnContext(t *testing.T) {
	ln := localListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	var once sync.Once
	srv := &http.Server{Handler: okHandler("ok"), ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateIdle {
			once.Do(func() { close(ready) })
		}
	}}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-ready // the keep-alive connection is idle
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil after a clean drain", err)
	}
}

func TestDrainerNilServer(t *testing.T) {
	var d Drainer
	if err := d.Shutdown(context.Background()); err == nil {
		t.Error("Shutdown with nil Server succeeded")
	}
}
