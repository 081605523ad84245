package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
)

// failed reports a failed build or start. With no child serving and
// RestartOnCrash, a start that failed counts as a crash.
func (s *Supervisor) failed(l *loop, a *attempt, st step) {
	var be *BuildError
	if errors.As(st.err, &be) {
		s.out.stderr.Write(be.Output)
		sum := summariseBuild(be.Output)
		s.emit(BuildFailed{Gen: a.gen, Err: be.Err, Output: be.Output, BuildTime: a.buildTime, ServingPID: pidOf(l.serving),
			Errors: sum.Count, MoreErrors: sum.More, FirstError: sum.First})
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
	ev := ChildReady{Gen: a.gen, PID: ch.pid, Via: st.via, ReadyTime: st.ready.Sub(st.started)}
	if at := ch.listen.askedAt(); !at.IsZero() {
		ev.InitTime = at.Sub(st.started)
	}
	s.emit(ev)
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
	l.last = a.built
	l.crashes.cancel()
	s.emit(Swapped{Gen: a.gen, Change: a.change, OldPID: max(pidOf(old), a.stopped), NewPID: ch.pid, BuildTime: a.buildTime, SwapTime: time.Since(st.started)})
	s.afterSwap(ctx, ch)
	s.deps.recompute() // off the critical path: the new child serves already
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
