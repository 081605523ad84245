package supervisor

import (
	"context"
	"errors"
	"fmt"
	"github.com/reloader-dev/reloader/internal/proc"
	"os"
	"time"
)

// generations is the work a generation needs from the system. The run loop
// decides when each step happens; generations does it. *Supervisor is the
// real one; the run loop's tests use a fake under testing/synctest.
type generations interface {
	// prepare runs the build step of generation gen and returns what to
	// start.
	prepare(ctx context.Context, gen int, change string) (built, error)
	// startChild starts generation gen of b with what the server hands out.
	startChild(ctx context.Context, gen int, b built) (*child, error)
	// waitReady returns once c is ready, saying which rule decided.
	waitReady(ctx context.Context, c *child) (via string, err error)
	// stop ends c gracefully; with drain, its queues are emptied first.
	stop(c *child, drain bool)
	// kill ends a child that never became ready.
	kill(c *child)
	// reap releases what a child that exited on its own held.
	reap(c *child)
	// inUseBy reports whether c, which failed to become ready, failed to
	// bind an address that old (nil: none) holds, and names it.
	inUseBy(c, old *child) (addr string, held bool)
}

// phase is where an attempt to bring up a new generation stands.
type phase int

const (
	building phase = iota // running the build step; a newer change cancels it
	starting              // starting the child and waiting until it is ready
)

// attempt is one generation on its way to serving. Each phase runs in a
// goroutine of its own and reports on done; the run loop owns the rest.
type attempt struct {
	gen       int
	change    string
	phase     phase
	cancel    context.CancelFunc
	done      chan step
	buildTime time.Duration
	stopped   int // sequential mode: the pid stopped to make room
}

// step is the outcome of one phase of an attempt.
type step struct {
	built
	child   *child
	via     string
	started time.Time
	err     error
	// inUseByOld is set when the start failed on an address (inUse; ""
	// if unknown) that the serving child holds; argv and binary are kept
	// to start again.
	inUseByOld bool
	inUse      string
	// output is the last lines of a child that failed to start; nil if none.
	output []byte
}

// loop is the run loop's state: the serving child, the attempt under way,
// the change waiting for it, and the crash backoff. Only Run touches it.
type loop struct {
	serving *child
	next    *attempt
	pending string // a change that arrived while next could not be cancelled
	gen     int
	crashes crashLoop
	// sequential is set for the rest of the run once a new child could not
	// bind an address the old one holds (fallBack).
	sequential bool
	// retiring is the child last replaced, stopped in the background.
	retiring *child
}

// Run runs the app until ctx is done, then stops the serving child and
// releases everything. It returns nil after a clean stop.
func (s *Supervisor) Run(ctx context.Context) error {
	defer s.Close()
	changes, stopWatch := s.watchOrWarn(ctx)
	defer stopWatch()
	if s.cfg.Chosen != "" {
		s.emit(CommandChosen{Command: s.cfg.Command, Why: s.cfg.Chosen})
	}
	for _, a := range s.Addrs() {
		_, proxied := s.srv.(proxyServer)
		s.emit(Listening{Address: a, Proxy: proxied})
	}
	var l loop
	s.trigger(ctx, &l, "start")
	for {
		select {
		case <-ctx.Done():
			s.shutdown(&l)
			return nil
		case b, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if b = s.splitAssets(b); b.Count == 0 {
				continue // only assets: browsers refresh, no build
			}
			s.trigger(ctx, &l, describeChange(b.First(), b.Count))
		case reason := <-s.reload:
			s.trigger(ctx, &l, reason)
		case st := <-l.next.doneChan():
			s.advance(ctx, &l, st)
		case <-l.serving.doneChan():
			s.crashed(ctx, &l)
		case <-l.crashes.timer():
			l.crashes.fired()
			s.trigger(ctx, &l, "restart after crash")
		}
	}
}

// trigger starts a new generation for change, or, if one is under way,
// cancels its build or queues the change behind it.
func (s *Supervisor) trigger(ctx context.Context, l *loop, change string) {
	switch {
	case l.next == nil:
		l.crashes.cancel() // this start replaces the one the backoff waits for
		l.gen++
		l.next = &attempt{gen: l.gen, change: change}
		s.buildPhase(ctx, l.next)
	case l.next.phase == building:
		// A newer change makes this build stale: cancel it and build again.
		s.emit(BuildRestarted{Change: change})
		l.next.cancel()
		l.pending = change
	default:
		l.pending = change
	}
}

// buildPhase runs the attempt's build step in the background.
func (s *Supervisor) buildPhase(ctx context.Context, a *attempt) {
	a.phase = building
	s.runPhase(ctx, a, func(ctx context.Context) step {
		start := time.Now()
		b, err := s.gens.prepare(ctx, a.gen, a.change)
		a.buildTime = time.Since(start) // read by the loop only after done
		return step{built: b, err: err}
	})
}

// startPhase starts the attempt's child and waits until it is ready, in the
// background. old is the child serving meanwhile (nil: none); a new child
// that fails on an address old holds reports it in step.inUse.
func (s *Supervisor) startPhase(ctx context.Context, a *attempt, b step, old *child) {
	a.phase = starting
	s.runPhase(ctx, a, func(ctx context.Context) step {
		r := step{started: time.Now()}
		ch, err := s.gens.startChild(ctx, a.gen, b.built)
		if err != nil {
			if b.binary != "" {
				os.Remove(b.binary)
			}
			r.err = err
			return r
		}
		ch.beside = pidOf(old)
		s.emit(ChildStarted{Gen: a.gen, PID: ch.pid})
		if r.via, r.err = s.gens.waitReady(ctx, ch); r.err != nil {
			if ctx.Err() != nil && ch.alive() {
				// Shutdown, maybe just as the child became ready: it
				// gets its graceful stop, as the serving child does.
				s.gens.stop(ch, false)
				return r
			}
			bin := ch.binary
			ch.binary = "" // kept for a start after old is stopped
			s.gens.kill(ch)
			if addr, ok := s.gens.inUseBy(ch, old); ok && ctx.Err() == nil {
				r.inUseByOld, r.inUse, r.built = true, addr, b.built
				r.binary = bin
				return r
			}
			if bin != "" {
				os.Remove(bin)
			}
			s.explainFailedStart(ch, r.err)
			r.output = s.lastLines(ch)
			return r
		}
		r.child = ch
		return r
	})
}

func (s *Supervisor) runPhase(ctx context.Context, a *attempt, f func(context.Context) step) {
	pctx, cancel := context.WithCancel(ctx)
	a.cancel, a.done = cancel, make(chan step, 1)
	go func() {
		defer cancel()
		a.done <- f(pctx)
	}()
}

// advance takes the outcome of the attempt's phase: a build moves on to
// the start (stopping the serving child first in sequential mode), a ready
// child is promoted and the one it replaces retired, and a failure keeps
// the serving child.
func (s *Supervisor) advance(ctx context.Context, l *loop, st step) {
	a := l.next
	switch {
	case errors.Is(st.err, context.Canceled):
		l.next = nil
	case st.inUseByOld:
		s.fallBack(ctx, l, a, st)
		return
	case st.err != nil:
		l.next = nil
		s.failed(l, a, st)
	case a.phase == building:
		if s.sequential(l) {
			s.stopForStart(l, a)
		}
		s.startPhase(ctx, a, st, l.serving)
		return
	default:
		l.next = nil
		s.promote(ctx, l, a, st)
	}
	if l.pending != "" {
		change := l.pending
		l.pending = ""
		s.trigger(ctx, l, change)
	}
}

// failed reports a failed build or start. With no child serving and
// RestartOnCrash, a start that failed counts as a crash.
func (s *Supervisor) failed(l *loop, a *attempt, st step) {
	var be *BuildError
	if errors.As(st.err, &be) {
		s.out.stderr.Write(be.Output)
		s.emit(BuildFailed{Gen: a.gen, Err: be.Err, Output: be.Output, BuildTime: a.buildTime, ServingPID: pidOf(l.serving)})
		return
	}
	s.emit(StartFailed{Gen: a.gen, Err: st.err, ServingPID: pidOf(l.serving), Output: st.output})
	if l.serving == nil && s.cfg.RestartOnCrash && l.pending == "" {
		delay := l.crashes.crashed(st.started, s.cfg.CrashBackoff, s.cfg.CrashBackoffMax)
		s.emit(Crashed{Status: st.err.Error(), Crashes: l.crashes.count, Backoff: delay, Restart: true})
	}
}

// promote makes the ready child serve and retires the one it replaces in
// the background.
func (s *Supervisor) promote(ctx context.Context, l *loop, a *attempt, st step) {
	ch := st.child
	s.srv.promote(ch.handout)
	s.emit(ChildReady{Gen: a.gen, PID: ch.pid, Via: st.via, ReadyTime: time.Since(st.started)})
	s.readyOnce.Do(func() { close(s.ready) }) // after the event, which Ready's waiters may follow with their own
	old := l.serving
	switch {
	case old.alive():
		old.stopping.Store(true)
		old.retired = make(chan struct{})
		l.retiring = old
		s.drains.Add(1)
		go func() {
			defer s.drains.Done()
			defer close(old.retired)
			s.gens.stop(old, true)
		}()
	case old != nil:
		// It exited just as this one became ready, and the loop took the
		// ready child first: release what it held here.
		old.stopping.Store(true)
		s.gens.reap(old)
	}
	l.serving = ch
	l.crashes.cancel()
	s.emit(Swapped{Gen: a.gen, Change: a.change, OldPID: max(pidOf(old), a.stopped), NewPID: ch.pid, BuildTime: a.buildTime, SwapTime: time.Since(st.started)})
	s.afterSwap(ctx, ch)
}

// crashed handles the serving child's exit.
func (s *Supervisor) crashed(ctx context.Context, l *loop) {
	c := l.serving
	l.serving = nil
	if c.stopping.Load() {
		return // a sequential stop, or a retire already under way
	}
	s.gens.reap(c)
	if s.failedBeside(l, c) {
		s.fallBackLate(ctx, l, c)
		return
	}
	if !s.cfg.RestartOnCrash {
		s.emit(Crashed{PID: c.pid, Status: c.exitStatus(), Output: s.lastLines(c)})
		return
	}
	delay := l.crashes.crashed(c.started, s.cfg.CrashBackoff, s.cfg.CrashBackoffMax)
	s.emit(Crashed{PID: c.pid, Status: c.exitStatus(), Crashes: l.crashes.count, Backoff: delay, Restart: true, Output: s.lastLines(c)})
}

// shutdown cancels the attempt under way, stops serving and stops the
// serving child (draining it if the sockets were handed off). A child the
// attempt was starting gets its graceful stop too, at the same time: its
// phase stops it, or, if it became ready just as ctx was cancelled, this
// does. None is left running or killed without its stop signal.
func (s *Supervisor) shutdown(l *loop) {
	if l.next != nil {
		l.next.cancel()
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.StopTimeout)
	s.srv.shutdown(sctx)
	cancel()
	if c := l.serving; c != nil {
		s.drains.Add(1)
		go func() {
			defer s.drains.Done()
			s.gens.stop(c, s.handoff.Load())
		}()
	}
	if l.next != nil {
		st := <-l.next.done
		switch {
		case st.child != nil:
			s.gens.stop(st.child, false) // ready as the context was cancelled
		case st.binary != "":
			os.Remove(st.binary) // built (or kept to start again) as the context was cancelled
		}
	}
	s.drains.Wait()
	s.emit(Stopped{})
}

// sequential reports whether a new child must wait until the old one is
// gone.
func (s *Supervisor) sequential(l *loop) bool {
	return l.sequential || !proc.InheritFDs || s.cfg.Restart == RestartSequential
}

// stopForStart stops the serving child, if any, before attempt a starts,
// and waits until the child last replaced is gone: the app cannot run
// twice, or binds its port itself.
func (s *Supervisor) stopForStart(l *loop, a *attempt) {
	if r := l.retiring; r != nil {
		l.retiring = nil
		<-r.retired // its stop is bounded by the stop timeout
	}
	if l.serving == nil {
		return
	}
	a.stopped = l.serving.pid
	s.gens.stop(l.serving, false)
	l.serving = nil
}

// doneChan returns the channel a phase reports on, or nil.
func (a *attempt) doneChan() <-chan step {
	if a == nil {
		return nil
	}
	return a.done
}

func describeChange(first string, count int) string {
	if count > 1 {
		return fmt.Sprintf("%s (+%d more)", first, count-1)
	}
	return first
}
