package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"time"
)

// The proxy's own HTTP/1.1 client for requests without a body (GET, HEAD
// and most others a browser sends) that are no upgrade: the handler's
// goroutine writes the request on a pooled connection to the app and reads
// the answer itself. http.Transport hands each request to a writer
// goroutine and the answer back from a reader goroutine, and returns the
// connection to its pool from that goroutine after the body's end: on
// loopback, those wake-ups were most of what the proxy added to a small
// response's latency. Requests with a body, and upgrades, still go through
// the backend's http.Transport.

// maxIdle is how many idle connections to its app a backend keeps, for at
// most idleTimeout each.
const (
	maxIdle     = 64
	idleTimeout = 30 * time.Second
)

// max1xx is how many informational answers one request may get before the
// final one, as http.Transport allows.
const max1xx = 5

// backendConn is one connection to an app, with its buffers.
type backendConn struct {
	c     *countedConn
	br    *bufio.Reader
	bw    *bufio.Writer
	since time.Time // put in the pool then
}

// plain reports whether r goes through the proxy's own client.
func plain(r *http.Request) bool {
	return (r.Body == nil || r.Body == http.NoBody) && !isUpgrade(r)
}

// conn returns an idle connection to the app (reused) or a new one.
func (b *backend) conn(ctx context.Context) (bc *backendConn, reused bool, err error) {
	b.mu.Lock()
	for n := len(b.idle); n > 0; n-- {
		bc = b.idle[n-1]
		b.idle = b.idle[:n-1]
		if time.Since(bc.since) < idleTimeout {
			b.mu.Unlock()
			return bc, true, nil
		}
		bc.c.Close() // the app may close it as we send
	}
	b.mu.Unlock()
	c, err := b.dial(ctx)
	if err != nil {
		return nil, false, err
	}
	return &backendConn{c: c, br: bufio.NewReader(c), bw: bufio.NewWriter(c)}, false, nil
}

// put keeps bc for the next request, unless the backend is closed or has
// enough idle connections.
func (b *backend) put(bc *backendConn) {
	b.mu.Lock()
	if !b.closed && len(b.idle) < maxIdle {
		bc.since = time.Now()
		b.idle = append(b.idle, bc)
		bc = nil
	}
	b.mu.Unlock()
	if bc != nil {
		bc.c.Close()
	}
}

// plainRoundTrip sends r, which plain accepts, to the app. sent reports
// whether any byte of it may have reached the app. A reused connection
// the app closed while it was idle is retried on another, as
// http.Transport does: nothing of the answer was read, and nothing of the
// request written or it can be sent again.
func (b *backend) plainRoundTrip(r *http.Request) (resp *http.Response, sent bool, err error) {
	ctx := r.Context()
	for {
		bc, reused, err := b.conn(ctx)
		if err != nil {
			return nil, false, err
		}
		start := bc.c.written.Load()
		resp, read, err := bc.roundTrip(r, b)
		if err == nil {
			return resp, true, nil
		}
		bc.c.Close()
		sent := bc.c.written.Load() != start
		if !reused || read || ctx.Err() != nil || sent && !replayable(r) {
			return nil, sent, err
		}
	}
}

// roundTrip writes r on bc and reads the answer's header. read reports
// whether any byte of an answer was read.
func (bc *backendConn) roundTrip(r *http.Request, b *backend) (resp *http.Response, read bool, err error) {
	ctx := r.Context()
	// The client gone, the connection's pending I/O fails at once.
	stop := context.AfterFunc(ctx, func() { bc.c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if err != nil {
			stop()
		}
	}()
	if err := r.Write(bc.bw); err != nil {
		return nil, false, fmt.Errorf("supervisor: proxy: write the request: %w", err)
	}
	if err := bc.bw.Flush(); err != nil {
		return nil, false, fmt.Errorf("supervisor: proxy: write the request: %w", err)
	}
	if _, err := bc.br.Peek(1); err != nil {
		return nil, false, fmt.Errorf("supervisor: proxy: read the answer: %w", ctxErr(ctx, err))
	}
	for n := 0; ; n++ {
		resp, err = http.ReadResponse(bc.br, r)
		if err != nil {
			return nil, true, fmt.Errorf("supervisor: proxy: read the answer: %w", ctxErr(ctx, err))
		}
		code := resp.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			break
		}
		if n == max1xx {
			return nil, true, errors.New("supervisor: proxy: too many 1xx answers")
		}
		if trace := httptrace.ContextClientTrace(ctx); trace != nil && trace.Got1xxResponse != nil {
			if err := trace.Got1xxResponse(code, textproto.MIMEHeader(resp.Header)); err != nil {
				return nil, true, err
			}
		}
	}
	resp.Body = &connBody{ctx: ctx, rc: resp.Body, bc: bc, b: b, stop: stop, reuse: !resp.Close, flush: flusher(ctx), pending: true}
	return resp, true, nil
}

// ctxErr is the context's error when it ended the I/O that failed with
// err.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// connBody is an answer's body read from a pooled connection: once read to
// its end and closed, the connection goes back to the pool; closed before
// its end, the connection is closed. Before a read that would wait for the
// app, what was written to the client is flushed: an answer that arrives
// whole goes out in one write, one the app streams goes out as it comes.
type connBody struct {
	ctx     context.Context
	rc      io.ReadCloser
	bc      *backendConn
	b       *backend
	stop    func() bool // ends the context's watch; false if it fired
	reuse   bool        // the answer lets the connection serve another
	flush   func()      // the client's writer's; nil for none
	pending bool        // written to the client and not yet flushed
	eof     bool
	closed  bool
}

func (cb *connBody) Read(p []byte) (int, error) {
	if cb.pending && cb.flush != nil && cb.bc.br.Buffered() == 0 {
		cb.flush()
		cb.pending = false
	}
	n, err := cb.rc.Read(p)
	if err != nil && err != io.EOF {
		err = ctxErr(cb.ctx, err) // the client gone, not the app failing
	}
	if n > 0 {
		cb.pending = true // the proxy writes it on before it reads again
	}
	if err == io.EOF {
		cb.eof = true
	}
	return n, err
}

func (cb *connBody) Close() error {
	if cb.closed {
		return nil
	}
	cb.closed = true
	if !cb.eof {
		cb.bc.c.Close() // rc's Close would read the rest
	}
	err := cb.rc.Close()
	if cb.stop() && cb.eof && cb.reuse && err == nil {
		cb.b.put(cb.bc)
	} else {
		cb.bc.c.Close()
	}
	return err
}

// writerKey is the request context key of the client's ResponseWriter.
type writerKey struct{}

// flusher returns a flush of the client's writer the proxy put in ctx, nil
// when there is none.
func flusher(ctx context.Context) func() {
	w, _ := ctx.Value(writerKey{}).(http.ResponseWriter)
	if w == nil {
		return nil
	}
	rc := http.NewResponseController(w)
	return func() { rc.Flush() }
}

// dial connects to the app.
func (b *backend) dial(ctx context.Context) (*countedConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", b.addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c}, nil
}
