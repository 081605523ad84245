package supervisor

import (
	"context"
	"errors"
	"os"
	"slices"
	"time"
)

// generations is the work a generation needs from the system. The run loop
// decides when each step happens; generations does it. *Supervisor is the
// real one; the run loop's tests use a fake under testing/synctest.
type generations interface {
	// prepare runs the build step of generation gen and returns what to
	// start.
	prepare(ctx context.Context, gen int, change string) (built, error)
	// reuse returns what to start for generation gen with the build c
	// runs, without building (an env file changed).
	reuse(gen int, c *child) (built, error)
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
	work      ruleWork
	last      built // for a restart: what serves now
	built     built // what the build step produced
}

// step is the outcome of one phase of an attempt.
type step struct {
	built
	child   *child
	via     string
	started time.Time
	ready   time.Time // when waitReady saw it ready
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
	// pendingWork is what pending asks for (merged with the work of a
	// build it cancelled).
	pendingWork ruleWork
	// pendingRestart is set when pending is an env file's change, which
	// needs no build (restart).
	pendingRestart bool
	// last is what the serving child was started from, for a restart.
	last    built
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
	s.triggerWork(ctx, &l, "start", startWork(s.cfg.Rules))
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
			if slices.ContainsFunc(b.Paths, isModuleFile) {
				s.deps.recompute()
			}
			if b = s.splitAssets(b); b.Count == 0 {
				continue // only assets: browsers refresh, no build
			}
			s.triggerWork(ctx, &l, describeChange(b.First(), b.Count), s.classify(b))
		case reason := <-s.reload:
			s.trigger(ctx, &l, reason)
		case change := <-s.restarts:
			s.restart(ctx, &l, change)
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
	s.triggerWork(ctx, l, change, rebuild())
}

// triggerWork is trigger for a change that asks for work: rules to run,
// and a build, a restart, or no new child.
func (s *Supervisor) triggerWork(ctx context.Context, l *loop, change string, work ruleWork) {
	switch {
	case l.next == nil && !work.startsChild():
		// Rules only: no new generation.
		l.next = &attempt{gen: l.gen, change: change, work: work}
		s.buildPhase(ctx, l.next)
	case l.next == nil:
		l.crashes.cancel() // this start replaces the one the backoff waits for
		l.gen++
		l.next = &attempt{gen: l.gen, change: change, work: work, last: l.last}
		s.buildPhase(ctx, l.next)
	case l.next.phase == building && (work.startsChild() || !l.next.work.startsChild()):
		// A newer change makes this build stale: cancel it and build again.
		// A change that needs no new child does not cancel a build: it
		// waits below, and its rules run after.
		s.emit(BuildRestarted{Change: change})
		l.next.cancel()
		l.pending, l.pendingRestart = change, false
		l.pendingWork = l.pendingWork.merge(l.next.work).merge(work)
	default:
		l.pending, l.pendingRestart = change, false
		l.pendingWork = l.pendingWork.merge(work)
	}
}

// buildPhase runs the attempt's build step in the background.
func (s *Supervisor) buildPhase(ctx context.Context, a *attempt) {
	a.phase = building
	s.runPhase(ctx, a, func(ctx context.Context) step {
		start := time.Now()
		b, err := s.buildStep(ctx, a)
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
		r.child, r.ready = ch, time.Now()
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
	case !a.work.startsChild():
		l.next = nil
		for _, ev := range s.refreshes(a.work) {
			s.emit(ev)
		}
	case a.phase == building:
		a.built = st.built
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
		change, work, restart := l.pending, l.pendingWork, l.pendingRestart
		l.pending, l.pendingWork, l.pendingRestart = "", ruleWork{}, false
		if restart {
			s.restart(ctx, l, change)
		} else {
			s.triggerWork(ctx, l, change, work)
		}
	}
}
