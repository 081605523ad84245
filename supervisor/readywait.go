package supervisor

import (
	"context"
	"fmt"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
)

// autoSenderWait is how long ReadyAuto waits for READY=1 from an app that
// links a sender (listenfd, go-systemd) before it takes the app as ready.
const autoSenderWait = 5 * time.Second

// busyPoll is how often an instrumented child that has not accepted once
// its wait ran out is looked at again while it is still busy starting
// (stillStarting); busyCap bounds that extra wait, from its start.
const (
	busyPoll = 50 * time.Millisecond
	busyCap  = 4 * autoSenderWait
)

// noAcceptWait is how long an instrumented child is given to accept, and
// a child that links a READY=1 sender to send it, before a delay decides
// (autoSenderWait; Config.noAcceptWait in tests).
func (s *Supervisor) noAcceptWait() time.Duration {
	if s.cfg.noAcceptWait > 0 {
		return s.cfg.noAcceptWait
	}
	return autoSenderWait
}

// stillStarting reports whether an instrumented child that has not
// accepted yet is still busy in its init: on a loaded machine its threads
// wait for a CPU (state R), and a delay must not take it as ready before it
// gets to listen; nor while it asks for a socket. A child seen idle at two
// looks in a row (every thread asleep and no request: an app that never
// listens, or one that waits on the network) is done starting; so is
// any child once busyCap has passed since its start. idle counts the idle
// looks.
func (s *Supervisor) stillStarting(c *child, idle *int) bool {
	if time.Since(c.started) >= max(busyCap, s.noAcceptWait()) {
		return false
	}
	if c.listen.asking() || proc.GroupRunnable(c.pid) {
		*idle = 0
		return true
	}
	*idle++
	return *idle < 2
}

// waitReady waits until the child is ready and returns which rule
// decided. In ReadyAuto mode the first rule that holds decides: READY=1
// ("notify"); a process of the child's group blocked in accept on a socket
// it was handed ("accept") or with one in an epoll set ("epoll"), seen in
// /proc; and, last, the child staying up for the ready delay ("delay"). A
// child whose binary links a READY=1 sender is waited for up to
// autoSenderWait for READY=1 alone ("delay:silent-sender"), and an
// instrumented child, which reports its first accept, for that accept
// ("delay:no-accept" when it never comes). ReadyNotify
// waits for READY=1 only, ReadyDelay for the delay only. A server with its
// own rule (the proxy's probe) replaces all but READY=1.
func (s *Supervisor) waitReady(ctx context.Context, c *child) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ready <-chan struct{}
	if c.notify != nil && s.cfg.Ready != ReadyDelay {
		ready = c.notify.Ready()
	}
	var assume <-chan time.Time
	var listening <-chan string
	limit := time.NewTimer(s.cfg.ReadyTimeout)
	defer limit.Stop()
	wait, via := s.cfg.ReadyDelay, "delay"
	if s.cfg.Ready == ReadyAuto && ready != nil && sendsReady(c.exe) {
		// The app links a READY=1 sender: give a slow start time to finish
		// before traffic moves, but never fail a swap over a missing READY.
		// (An instrumented one may still be taken at its first accept.)
		wait, via = max(wait, s.noAcceptWait()), "delay:silent-sender"
	} else if s.cfg.Ready == ReadyAuto && c.listen != nil {
		// Reloader's hook file reports the app's first accept on a socket
		// it asks for (or /proc shows it using a socket it inherited, -l):
		// give a slow start time to get there.
		wait, via = max(wait, s.noAcceptWait()), "delay:no-accept"
		listening = watchListen(ctx, c)
	} else if s.cfg.Ready == ReadyAuto {
		listening = watchListen(ctx, c)
	}
	if s.cfg.Ready != ReadyNotify {
		t := time.NewTimer(wait)
		defer t.Stop()
		assume = t.C
	}
	probed := s.srv.probe(ctx, c.handout, c.done)
	if probed != nil {
		assume, listening = nil, nil // the server's own rule decides
	}
	// An app given a socket on demand is ready at its first accept there.
	accepted, handed := c.listen.accepted(), c.listen.handed()
	idle := 0 // looks at a child that seemed done starting (stillStarting)
	if s.cfg.Ready == ReadyDelay {
		accepted, handed = nil, nil
	}
	for {
		select {
		case <-handed:
			handed = nil
			if s.cfg.Ready == ReadyAuto {
				assume = nil // no delay: its first accept decides
			}
		case <-accepted:
			return "accept", nil
		case err := <-probed:
			if err == nil {
				return "probe", nil
			}
			select {
			case <-c.done:
				return "", fmt.Errorf("%w: pid %d exited before it was ready (%s)", ErrNotReady, c.pid, c.exitStatus())
			default:
				return "", err
			}
		case <-ready:
			return "notify", nil
		case rule := <-listening:
			return rule, nil
		case <-assume:
			// An instrumented child still busy in its init is not taken
			// by a delay, whether it waits for an accept or for READY=1.
			waitsForApp := via == "delay:no-accept" || via == "delay:silent-sender" && c.listen != nil
			if waitsForApp && s.stillStarting(c, &idle) {
				t := time.NewTimer(busyPoll)
				defer t.Stop()
				assume = t.C
				continue
			}
			return via, nil
		case <-c.done:
			return "", fmt.Errorf("%w: pid %d exited before it was ready (%s)", ErrNotReady, c.pid, c.exitStatus())
		case <-limit.C:
			return "", fmt.Errorf("%w: pid %d sent no READY=1 within ready_timeout %v (run.ready = %q)", ErrNotReady, c.pid, s.cfg.ReadyTimeout, s.cfg.Ready)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
