package supervisor

import (
	"sync"
	"testing"
	"time"
)

// eventLog records the events a Supervisor delivers to Config.OnEvent.
// The test runners (harness, loopRun) embed one.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	more   chan struct{} // closed and replaced on every event
}

func newEventLog() *eventLog { return &eventLog{more: make(chan struct{})} }

// record is a Config.OnEvent.
func (l *eventLog) record(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
	close(l.more)
	l.more = make(chan struct{})
}

func (l *eventLog) recorded() *eventLog { return l }

// eventRecorder is a test runner with an eventLog.
type eventRecorder interface{ recorded() *eventLog }

// names returns the names of the events so far, those in skip left out.
func (l *eventLog) names(skip ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, ev := range l.events {
		for _, s := range skip {
			if ev.Name() == s {
				continue next
			}
		}
		out = append(out, ev.Name())
	}
	return out
}

// all returns the events of type E so far.
func all[E Event](r eventRecorder) []E {
	l := r.recorded()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []E
	for _, ev := range l.events {
		if e, ok := ev.(E); ok {
			out = append(out, e)
		}
	}
	return out
}

// has reports whether an event of type E was recorded.
func has[E Event](r eventRecorder) bool { return len(all[E](r)) > 0 }

// waitFor returns the first event of type E that ok (nil: any) accepts,
// waiting up to a minute for it. It looks at every event from the start;
// with E = Event, ok sees them all.
func waitFor[E Event](t *testing.T, r eventRecorder, ok func(E) bool) E {
	t.Helper()
	l := r.recorded()
	deadline := time.After(time.Minute)
	seen := 0
	for {
		l.mu.Lock()
		evs, more := l.events[seen:], l.more
		seen = len(l.events)
		l.mu.Unlock()
		for _, ev := range evs {
			if e, is := ev.(E); is && (ok == nil || ok(e)) {
				return e
			}
		}
		select {
		case <-more:
		case <-deadline:
			var zero E
			what := "matching" // E is Event: any event type
			if any(zero) != nil {
				what = zero.Name()
			}
			t.Fatalf("no %s event within a minute; events: %v", what, l.names())
		}
	}
}

// crashed returns a channel closed on the first crashed event.
func (l *eventLog) crashed(t *testing.T) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for {
			l.mu.Lock()
			more := l.more
			l.mu.Unlock()
			if has[Crashed](l) {
				close(ch)
				return
			}
			select {
			case <-more:
			case <-t.Context().Done():
				return
			}
		}
	}()
	return ch
}
