package supervisor

import "time"

// crashLoop schedules restarts of crashed children with capped exponential
// backoff, so a crash loop never spins the CPU. It belongs to the run loop
// goroutine; its zero value has seen no crash.
type crashLoop struct {
	count int // crashes so far
	next  time.Duration
	t     *time.Timer
}

// crashed records a crash of a child started at started and arms the restart timer. The delay
// doubles with each crash, up to max, and starts again from base when the
// child had stayed up for max.
func (l *crashLoop) crashed(started time.Time, base, max time.Duration) time.Duration {
	l.count++
	if l.next == 0 || time.Since(started) >= max {
		l.next = base
	} else {
		l.next = min(l.next*2, max)
	}
	l.t = time.NewTimer(l.next)
	return l.next
}

// timer returns the channel that fires when a restart is due, or nil.
func (l *crashLoop) timer() <-chan time.Time {
	if l.t == nil {
		return nil
	}
	return l.t.C
}

// fired clears the timer after it fired.
func (l *crashLoop) fired() { l.t = nil }

// cancel drops a restart that is no longer due: a change or a ready child
// came first.
func (l *crashLoop) cancel() {
	if l.t != nil {
		l.t.Stop()
		l.t = nil
	}
}
