package portdoctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// BindError is a failed bind with its diagnosis. Error gives the one-line
// summary; Report.Format prints the whole diagnosis.
type BindError struct {
	// Network is "tcp" or "udp".
	Network string
	// Addr is the address that could not be bound.
	Addr string
	// Err is the bind's error, as returned by net.Listen or the system call.
	Err error
	// Report is the diagnosis; never nil in errors this package returns.
	Report *Report
}

func (e *BindError) Error() string {
	if e.Report == nil {
		return fmt.Sprintf("portdoctor: bind %s %s: %v", e.Network, e.Addr, e.Err)
	}
	return "portdoctor: " + e.Report.Summary()
}

func (e *BindError) Unwrap() error { return e.Err }

// Wrap diagnoses a failed bind of network addr and returns a *BindError
// carrying the report. It returns err unchanged when err is nil, is already
// a *BindError, or is about a network other than tcp, tcp4, tcp6, udp,
// udp4 or udp6 (such as "unix").
func Wrap(ctx context.Context, network, addr string, err error) error {
	return Options{}.Wrap(ctx, network, addr, err)
}

// Wrap is Wrap with these options.
func (o Options) Wrap(ctx context.Context, network, addr string, err error) error {
	var be *BindError
	n := baseNetwork(network)
	if err == nil || n == "" || errors.As(err, &be) {
		return err
	}
	return &BindError{Network: n, Addr: addr, Err: err, Report: o.Explain(ctx, n, addr, err)}
}

// baseNetwork maps tcp4/tcp6/udp4/udp6 to tcp/udp; "" for any other.
func baseNetwork(network string) string {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return "tcp"
	case "udp", "udp4", "udp6":
		return "udp"
	}
	return ""
}

// DefaultRetryWait is how long Retry.Listen retries EADDRINUSE when Wait is 0.
const DefaultRetryWait = 3 * time.Second

// Retry retries a bind that fails with EADDRINUSE, which happens when the
// previous holder is still on its way out. The zero value retries for
// DefaultRetryWait and logs nothing.
type Retry struct {
	// Wait bounds the retries. 0 means DefaultRetryWait; negative means a
	// single attempt.
	Wait time.Duration
	// Log receives one warning naming the holder at the first EADDRINUSE.
	// nil means no log.
	Log *slog.Logger
	// Options tune the diagnosis.
	Options Options
}

// Listen calls bind until it succeeds, fails with something other than
// EADDRINUSE, ctx is done, or Wait has passed, backing off from 20ms to
// 500ms between attempts. A final bind failure on tcp or udp is returned
// as a *BindError with the diagnosis.
func (r Retry) Listen(ctx context.Context, network, addr string, bind func() error) error {
	wait := r.Wait
	if wait == 0 {
		wait = DefaultRetryWait
	}
	start := time.Now()
	delay := 20 * time.Millisecond
	logged := false
	for {
		err := bind()
		if err == nil {
			if logged {
				r.Log.Info("address free again", "addr", addr, "after", time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		kind, _, _ := Classify(err)
		left := wait - time.Since(start)
		if kind != KindInUse || left <= 0 || ctx.Err() != nil {
			return r.Options.Wrap(ctx, network, addr, err)
		}
		if r.Log != nil && !logged {
			logged = true
			msg := err.Error()
			if n := baseNetwork(network); n != "" {
				msg = r.Options.Explain(ctx, n, addr, err).Summary()
			}
			r.Log.Warn("address in use; retrying", "event", "bind_retry", "addr", addr, "why", msg, "for", wait)
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// ListenRetry is Retry{Wait: wait, Log: log}.Listen(ctx, network, addr, bind).
func ListenRetry(ctx context.Context, bind func() error, network, addr string, wait time.Duration, log *slog.Logger) error {
	return Retry{Wait: wait, Log: log}.Listen(ctx, network, addr, bind)
}
