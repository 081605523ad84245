package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// Backoff between two tries of a request on the same backend.
const (
	retryFirst = 10 * time.Millisecond
	retryMax   = 200 * time.Millisecond
)

// retryTransport sends a request to the current backend. While no backend
// is promoted it holds the request, for at most proxy.hold. A request that
// fails is sent again only while a swap or restart is under way, and only
// if the app cannot have processed it (refused, or failed before any byte
// of it was written) or it can be replayed (idempotent, with a body that
// can be read again): a child stopped mid-request (an app that dies at
// once on SIGTERM) costs the client nothing. Tries on the same backend
// back off from retryFirst to retryMax.
type retryTransport struct{ p *proxy }

func (t retryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(t.p.hold)
	replay := replayable(r) && !isUpgrade(r)
	var held *heldBody
	if r.Body != nil && r.Body != http.NoBody && !isUpgrade(r) {
		held = &heldBody{rc: r.Body}
		r.Body = held
	}
	wait := retryFirst
	var last *backend
	for {
		b, changed := t.p.pick()
		if b == nil {
			if err := t.waitChange(r.Context(), changed, deadline); err != nil {
				return nil, err
			}
			continue
		}
		resp, sent, err := b.roundTrip(r)
		t.p.done(b)
		if err == nil {
			return resp, nil
		}
		_, changing, changed := t.p.state()
		unsent := !sent && (held == nil || !held.read.Load())
		if r.Context().Err() != nil || isUpgrade(r) || !changing || !(unsent || replay) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("supervisor: proxy: no app answered within proxy.hold %v: %w", t.p.hold, err)
		}
		if b == last || !unsent {
			// The same app again: back off, or go at once to a new one.
			if err := t.sleep(r.Context(), changed, wait, deadline); err != nil {
				return nil, err
			}
			wait = min(2*wait, retryMax)
		}
		last = b
		if replay && r.GetBody != nil {
			if r.Body, err = r.GetBody(); err != nil {
				return nil, err
			}
		}
		t.p.log.Debug("proxy: retrying on the current app", "path", r.URL.Path)
	}
}

// waitChange waits until the proxy changes, for at most until deadline.
func (t retryTransport) waitChange(ctx context.Context, changed <-chan struct{}, deadline time.Time) error {
	d := time.Until(deadline)
	if d <= 0 {
		return fmt.Errorf("supervisor: proxy: no app answered within proxy.hold %v: %w", t.p.hold, errors.New("no app is running"))
	}
	return t.sleep(ctx, changed, d, deadline)
}

// sleep waits d (not past deadline), or until the proxy changes.
func (t retryTransport) sleep(ctx context.Context, changed <-chan struct{}, d time.Duration, deadline time.Time) error {
	timer := time.NewTimer(min(d, max(time.Until(deadline), 0)))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-timer.C:
	}
	return nil
}

// roundTrip sends r to b once. sent reports whether any byte of it may
// have reached the app: false when no connection was made, or none of the
// request was written on the one used.
func (b *backend) roundTrip(r *http.Request) (resp *http.Response, sent bool, err error) {
	if plain(r) {
		return b.plainRoundTrip(r)
	}
	var (
		mu    sync.Mutex
		conn  *countedConn
		start int64
	)
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := info.Conn.(*countedConn); ok {
			conn, start = c, c.written.Load()
		}
	}}
	resp, err = b.tr.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
	if err == nil {
		if resp.StatusCode != http.StatusSwitchingProtocols {
			resp.Body = &flushingBody{rc: resp.Body, flush: flusher(r.Context())}
		}
		return resp, true, nil
	}
	// The transport has waited for its writer when it returns an error.
	mu.Lock()
	defer mu.Unlock()
	return nil, conn != nil && conn.written.Load() != start, err
}

// flushingBody is the body of an answer from the backend's http.Transport:
// before each read, what was written to the client is flushed, so the
// client gets every piece the app sends before the proxy waits for the
// next.
type flushingBody struct {
	rc    io.ReadCloser
	flush func() // nil for none
}

func (fb *flushingBody) Read(p []byte) (int, error) {
	if fb.flush != nil {
		fb.flush()
	}
	return fb.rc.Read(p)
}

func (fb *flushingBody) Close() error { return fb.rc.Close() }
