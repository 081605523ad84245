package supervisor

import (
	"context"
	"fmt"
)

// restart starts a new generation with the build the serving child runs,
// for a change that needs no build (an env file). With no child serving,
// or none to reuse, it is an ordinary trigger. A build under way reads the
// env files when its child starts, so it already covers the change; a
// child already starting may have read them before, so the restart waits
// behind it.
func (s *Supervisor) restart(ctx context.Context, l *loop, change string) {
	switch {
	case l.next != nil && l.next.phase == building:
	case l.next != nil:
		if l.pending == "" {
			l.pending, l.pendingRestart = change, true
		}
	case l.serving == nil:
		s.trigger(ctx, l, change)
	default:
		l.crashes.cancel()
		l.gen++
		a := &attempt{gen: l.gen, change: change, work: ruleWork{then: ThenRestart}}
		l.next = a
		s.emit(Restarting{Gen: a.gen, Change: change})
		b, err := s.gens.reuse(a.gen, l.serving)
		if err != nil {
			l.next = nil
			s.emit(StartFailed{Gen: a.gen, Err: err, ServingPID: pidOf(l.serving)})
			return
		}
		a.built = b
		if s.sequential(l) {
			s.stopForStart(l, a)
		}
		s.startPhase(ctx, a, step{built: b}, l.serving)
	}
}

// reuse returns what to start for generation gen with the build c runs: a
// built binary gets a new name (a hard link) that the new child owns, as a
// build's would be.
func (s *Supervisor) reuse(gen int, c *child) (built, error) {
	b, err := s.relink(gen, built{argv: c.argv, binary: c.binary, instrumented: c.instrumented})
	if err != nil {
		return built{}, fmt.Errorf("supervisor: reuse the build of pid %d: %w", c.pid, err)
	}
	return b, nil
}
