package listenfd

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults for [Drainer].
const (
	// DefaultNewConnTimeout is how long Drainer.Shutdown waits, by
	// default, for accepted connections to send their first request.
	DefaultNewConnTimeout = 2 * time.Second

	// DefaultShutdownTimeout bounds, by default, the drain done by
	// Drainer.Run and Serve once their context is done.
	DefaultShutdownTimeout = 10 * time.Second
)

// A Drainer runs an [http.Server] and shuts it down without dropping
// connections it has accepted.
//
// [http.Server.Shutdown] alone can drop requests (golang/go#65802): once
// Shutdown has begun, a connection that reads a request closes without
// answering it. That request can sit on a connection the server accepted
// just before Shutdown, and http.Transport does not retry on a fresh
// connection, so the client gets EOF. During a hot restart this is the
// common case: the old and the new process accept from the same socket, and
// the old one is told to stop while clients keep connecting.
//
// Drainer.Shutdown therefore first stops accepting (closing its listeners:
// only this process's copies), disables keep-alives (closing idle
// connections and marking further responses "Connection: close"), waits for
// the accept loops to return so that every accepted connection is known, and
// then waits, at most NewConnTimeout, until no connection is left that has
// been accepted but whose request has not reached its handler yet. Only
// then does it call [http.Server.Shutdown], which waits for the handlers.
//
// What remains is inherent to HTTP/1.1 and handled by clients: an idle
// keep-alive connection closed at the moment the client sends a new request
// on it. http.Transport (like browsers) retries such requests on a new
// connection because the connection was reused, if the request is
// idempotent (GET, HEAD, OPTIONS, TRACE, or with an Idempotency-Key header)
// or nothing of it was written yet. Connections that send nothing within
// NewConnTimeout (e.g. browser preconnects) are closed before
// http.Server.Shutdown starts.
//
// Drainer installs hooks on Server: it wraps Server.Handler (nil meaning
// [http.DefaultServeMux]) and chains Server.ConnState and Server.ConnContext,
// calling the original hooks. Set those fields before the first call to
// Serve, Run or Shutdown and do not change them afterwards, and serve only
// through the Drainer, not through Server.Serve directly. A Drainer must not
// be copied after first use.
type Drainer struct {
	// Server is the server to run. It must be set; the methods return an
	// error if it is nil. For TLS, serve tls.NewListener(l, config).
	Server *http.Server

	// NewConnTimeout bounds how long Shutdown waits for accepted
	// connections to send their first request. Zero means
	// DefaultNewConnTimeout; negative means not to wait.
	NewConnTimeout time.Duration

	// ShutdownTimeout bounds the drain done by Run once its context is
	// done. Zero means DefaultShutdownTimeout; negative means no limit.
	ShutdownTimeout time.Duration

	initOnce sync.Once
	mu       sync.Mutex
	shutdown bool
	lns      map[*drainListener]struct{} // listeners being served
	serving  int                         // Serve calls in progress
	conns    map[net.Conn]*connTrack
	pending  int           // conns with pending set
	changed  chan struct{} // closed when serving or pending drops; nil if nobody waits
}

// connTrack follows one connection. pending is true from accept, and from
// each request read (StateActive), until the request reaches the handler:
// while pending, http.Server.Shutdown could drop the connection's request.
type connTrack struct {
	c       net.Conn
	state   http.ConnState
	pending bool
}

type trackKey struct{}

var errNoServer = errors.New("listenfd: Drainer.Server is nil")

func (d *Drainer) init() error {
	if d.Server == nil {
		return errNoServer
	}
	d.initOnce.Do(func() {
		d.lns = make(map[*drainListener]struct{})
		d.conns = make(map[net.Conn]*connTrack)
		srv := d.Server
		h := srv.Handler
		if h == nil {
			h = http.DefaultServeMux
		}
		srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if t, ok := r.Context().Value(trackKey{}).(*connTrack); ok {
				d.mu.Lock()
				d.setPendingLocked(t, false)
				d.mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
		prevCtx := srv.ConnContext
		srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			if prevCtx != nil {
				ctx = prevCtx(ctx, c)
			}
			t := &connTrack{c: c, state: http.StateNew}
			d.mu.Lock()
			d.conns[c] = t
			d.setPendingLocked(t, true)
			d.mu.Unlock()
			return context.WithValue(ctx, trackKey{}, t)
		}
		prevState := srv.ConnState
		srv.ConnState = func(c net.Conn, s http.ConnState) {
			d.setState(c, s)
			if prevState != nil {
				prevState(c, s)
			}
		}
	})
	return nil
}

func (d *Drainer) setState(c net.Conn, s http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.conns[c]
	if t == nil {
		return
	}
	t.state = s
	switch s {
	case http.StateNew, http.StateActive:
		d.setPendingLocked(t, true)
	case http.StateIdle:
		d.setPendingLocked(t, false)
	case http.StateHijacked, http.StateClosed:
		d.setPendingLocked(t, false)
		delete(d.conns, c)
	}
}

func (d *Drainer) setPendingLocked(t *connTrack, p bool) {
	if t.pending == p {
		return
	}
	t.pending = p
	if p {
		d.pending++
	} else {
		d.pending--
		d.signalLocked()
	}
}

func (d *Drainer) signalLocked() {
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
}

// waitFor waits until cond (called with d.mu held) is true, ctx is done or
// timeout fires, and reports whether cond became true.
func (d *Drainer) waitFor(ctx context.Context, timeout <-chan time.Time, cond func() bool) bool {
	for {
		d.mu.Lock()
		if cond() {
			d.mu.Unlock()
			return true
		}
		if d.changed == nil {
			d.changed = make(chan struct{})
		}
		ch := d.changed
		d.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-timeout:
			return false
		}
	}
}

// Serve serves d.Server on l, like [http.Server.Serve]. It returns
// [http.ErrServerClosed] after Shutdown has been called, and any other error
// from accepting otherwise. It closes l when it returns.
func (d *Drainer) Serve(l net.Listener) error {
	if err := d.init(); err != nil {
		return err
	}
	d.mu.Lock()
	if d.shutdown {
		d.mu.Unlock()
		l.Close()
		return http.ErrServerClosed
	}
	dl := &drainListener{Listener: l}
	d.lns[dl] = struct{}{}
	d.serving++
	d.mu.Unlock()

	err := d.Server.Serve(dl)

	d.mu.Lock()
	delete(d.lns, dl)
	d.serving--
	d.signalLocked()
	shut := d.shutdown
	d.mu.Unlock()
	if shut {
		return http.ErrServerClosed
	}
	return err
}

// Shutdown drains and stops the server as described on [Drainer]. Like
// [http.Server.Shutdown], it returns once all requests have been answered,
// or ctx's error if ctx is done first; then connections may still be open
// and the caller may call d.Server.Close. Waiting for new connections is
// also bounded by NewConnTimeout. Shutdown always leaves the server shut
// down: after it, Serve returns http.ErrServerClosed.
func (d *Drainer) Shutdown(ctx context.Context) error {
	if err := d.init(); err != nil {
		return err
	}
	d.mu.Lock()
	d.shutdown = true
	lns := make([]*drainListener, 0, len(d.lns))
	for l := range d.lns {
		lns = append(lns, l)
	}
	d.mu.Unlock()

	// Make responses from now on carry "Connection: close" and close idle
	// keep-alive connections, so that clients move to a fresh connection
	// (served by the new process) as early as possible.
	d.Server.SetKeepAlivesEnabled(false)

	// Stop accepting. The accept loops call the ConnContext and ConnState
	// hooks for a connection before accepting the next one, so once they
	// have returned every accepted connection is tracked.
	var lnErr error
	for _, l := range lns {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) && lnErr == nil {
			lnErr = err
		}
	}
	d.waitFor(ctx, nil, func() bool { return d.serving == 0 })

	// Wait until every connection's request has been dispatched to its
	// handler (or the connection became idle or closed). net/http's
	// conn.serve reads a request, sets StateActive, and then returns
	// without answering if the server is shutting down; the handler runs
	// only after that check, so once it has been called,
	// http.Server.Shutdown waits for the connection instead of dropping it.
	if t := d.newConnTimeout(); t > 0 {
		timer := time.NewTimer(t)
		d.waitFor(ctx, timer.C, func() bool { return d.pending == 0 })
		timer.Stop()
	}
	d.closeSilent()

	err := d.Server.Shutdown(ctx)
	if err == nil {
		err = lnErr
	}
	return err
}

// closeSilent closes connections that were accepted but have sent nothing.
// http.Server.Shutdown would close them too, but only once they are 5
// seconds old, and a request arriving meanwhile would be dropped.
func (d *Drainer) closeSilent() {
	d.mu.Lock()
	var silent []net.Conn
	for c, t := range d.conns {
		if t.pending && t.state == http.StateNew {
			silent = append(silent, c)
		}
	}
	d.mu.Unlock()
	for _, c := range silent {
		c.Close()
	}
}

func (d *Drainer) newConnTimeout() time.Duration {
	if d.NewConnTimeout == 0 {
		return DefaultNewConnTimeout
	}
	return d.NewConnTimeout
}

// Run serves d.Server on every listener in ls until ctx is done, then calls
// Shutdown with a context that keeps ctx's values but is bounded by
// ShutdownTimeout instead of ctx. If the drain does not finish in time, Run
// closes the server's remaining connections (http.Server.Close) and returns
// the drain's error, e.g. context.DeadlineExceeded. If serving on a listener
// fails before ctx is done, Run drains the server as well and returns the
// serving error. It returns nil after a clean drain.
func (d *Drainer) Run(ctx context.Context, ls ...net.Listener) error {
	if err := d.init(); err != nil {
		return err
	}
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() { errc <- d.Serve(l) }()
	}

	var serveErr error
	pending := len(ls)
	select {
	case serveErr = <-errc:
		pending--
	case <-ctx.Done():
	}

	sctx := context.WithoutCancel(ctx)
	timeout := d.ShutdownTimeout
	if timeout == 0 {
		timeout = DefaultShutdownTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(sctx, timeout)
		defer cancel()
	}
	err := d.Shutdown(sctx)
	if err != nil {
		d.Server.Close()
	}
	for ; pending > 0; pending-- {
		if e := <-errc; serveErr == nil || errors.Is(serveErr, http.ErrServerClosed) {
			serveErr = e
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// drainListener makes Close idempotent, as both Drainer.Shutdown and
// http.Server.Serve close it.
type drainListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *drainListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}
