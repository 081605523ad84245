package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeGens plays the system for the run loop: builds, children and stops
// take fake time under testing/synctest, and every step is recorded.
type fakeGens struct {
	buildTime time.Duration
	readyTime time.Duration
	stopTime  time.Duration

	mu        sync.Mutex
	badBuild  map[int]bool // generations whose build fails
	badStart  map[int]bool // generations whose child exits before it is ready
	children  map[int]*child
	stopped   []int // pids, in the order their stop began
	cancelled []int // generations whose build was cancelled
}

func newFakeGens() *fakeGens {
	return &fakeGens{
		buildTime: time.Second, readyTime: 100 * time.Millisecond, stopTime: 50 * time.Millisecond,
		badBuild: map[int]bool{}, badStart: map[int]bool{}, children: map[int]*child{},
	}
}

func (f *fakeGens) prepare(ctx context.Context, gen int, change string) ([]string, string, error) {
	select {
	case <-time.After(f.buildTime):
	case <-ctx.Done():
		f.mu.Lock()
		f.cancelled = append(f.cancelled, gen)
		f.mu.Unlock()
		return nil, "", ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.badBuild[gen] {
		return nil, "", &BuildError{Err: fmt.Errorf("gen %d does not compile", gen)}
	}
	return []string{"app"}, "", nil
}

func (f *fakeGens) startChild(_ context.Context, gen int, _ []string, _ string) (*child, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &child{gen: gen, pid: 1000 + gen, started: time.Now(), done: make(chan struct{})}
	f.children[gen] = c
	return c, nil
}

func (f *fakeGens) waitReady(ctx context.Context, c *child) (string, error) {
	f.mu.Lock()
	bad := f.badStart[c.gen]
	f.mu.Unlock()
	if bad {
		f.exit(c)
		return "", fmt.Errorf("%w: pid %d exited before it was ready", ErrNotReady, c.pid)
	}
	select {
	case <-time.After(f.readyTime):
		return "delay", nil
	case <-c.done:
		return "", fmt.Errorf("%w: pid %d exited", ErrNotReady, c.pid)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (f *fakeGens) stop(c *child, _ bool) {
	c.stopping.Store(true)
	f.mu.Lock()
	f.stopped = append(f.stopped, c.pid)
	f.mu.Unlock()
	time.Sleep(f.stopTime)
	f.exit(c)
}

func (f *fakeGens) kill(c *child) { c.stopping.Store(true); f.exit(c) }
func (f *fakeGens) reap(*child)   {}

// exit ends c as if its process exited.
func (f *fakeGens) exit(c *child) {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

// crash makes generation gen's child exit on its own.
func (f *fakeGens) crash(gen int) {
	f.mu.Lock()
	c := f.children[gen]
	f.mu.Unlock()
	f.exit(c)
}

// loopRun runs a Supervisor on f inside the current synctest bubble and
// records its events.
type loopRun struct {
	s      *Supervisor
	f      *fakeGens
	mu     sync.Mutex
	events []Event
	cancel context.CancelFunc
	done   chan error
}

func startLoop(t *testing.T, cfg Config, f *fakeGens) *loopRun {
	t.Helper()
	cfg.Command = []string{"app"}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := &loopRun{f: f, done: make(chan error, 1)}
	cfg.OnEvent = func(ev Event) {
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
	}
	r.s = &Supervisor{cfg: cfg, log: cfg.Logger, reload: make(chan string, 1), ready: make(chan struct{}),
		srv: bare{}, gens: f, out: newOutputs(io.Discard, io.Discard, "")}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.s.Run(ctx) }()
	return r
}

// stop ends Run and checks it returned nil.
func (r *loopRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// names returns the names of the events so far, those in skip left out.
func (r *loopRun) names(skip ...string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
next:
	for _, ev := range r.events {
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
func all[E Event](r *loopRun) []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []E
	for _, ev := range r.events {
		if e, ok := ev.(E); ok {
			out = append(out, e)
		}
	}
	return out
}

// reload asks for a swap and lets the bubble run until all is quiet.
func (r *loopRun) reload(change string) {
	r.s.Reload(change)
	synctest.Wait()
}

func wantEq[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestLoopStartsAndSwaps(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, Config{}, f)
		time.Sleep(2 * time.Second)
		r.reload("main.go")
		time.Sleep(2 * time.Second)
		r.stop(t)
		wantEq(t, "events", r.names("building"), []string{
			"child_started", "child_ready", "swapped",
			"child_started", "child_ready", "swapped",
			"stopped",
		})
		sw := all[Swapped](r)
		if sw[1].OldPID != 1001 || sw[1].NewPID != 1002 || sw[1].Change != "main.go" {
			t.Errorf("second swap = %+v, want 1001 -> 1002 for main.go", sw[1])
		}
		if sw[1].BuildTime != f.buildTime || sw[1].SwapTime != f.readyTime {
			t.Errorf("swap times = build %v, swap %v; want %v and %v (fake clock)", sw[1].BuildTime, sw[1].SwapTime, f.buildTime, f.readyTime)
		}
		wantEq(t, "stopped pids", f.stopped, []int{1001, 1002})
	})
}

// A change during a build cancels it; the next build takes the newest change.
func TestLoopChangeDuringBuildRestartsIt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, Config{}, f)
		time.Sleep(2 * time.Second)
		r.s.Reload("a.go")
		time.Sleep(300 * time.Millisecond)
		r.s.Reload("b.go")
		time.Sleep(300 * time.Millisecond)
		r.s.Reload("c.go")
		time.Sleep(3 * time.Second)
		r.stop(t)
		wantEq(t, "cancelled builds", f.cancelled, []int{2, 3})
		sw := all[Swapped](r)
		if len(sw) != 2 || sw[1].Change != "c.go" || sw[1].Gen != 4 {
			t.Errorf("swaps = %+v, want the start and one for c.go as gen 4", sw)
		}
		if n := len(all[BuildRestarted](r)); n != 2 {
			t.Errorf("%d build_restarted events, want 2", n)
		}
		if n := len(all[BuildFailed](r)); n != 0 {
			t.Errorf("a cancelled build was reported as failed %d times", n)
		}
	})
}

// Changes while a child starts wait for it, merge into one, and then build once.
func TestLoopPendingChangesMergeAfterStart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.readyTime = time.Second
		r := startLoop(t, Config{}, f)
		time.Sleep(1500 * time.Millisecond) // built, now starting
		r.s.Reload("a.go")
		synctest.Wait()
		r.s.Reload("b.go")
		synctest.Wait()
		time.Sleep(5 * time.Second)
		r.stop(t)
		sw := all[Swapped](r)
		if len(sw) != 2 || sw[0].Change != "start" || sw[1].Change != "b.go" {
			t.Errorf("swaps = %+v, want start, then b.go once", sw)
		}
		wantEq(t, "cancelled builds", f.cancelled, []int(nil))
	})
}

// A failed build and a failed start keep the serving child.
func TestLoopFailuresKeepServing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.badBuild[2] = true
		f.badStart[3] = true
		r := startLoop(t, Config{}, f)
		time.Sleep(2 * time.Second)
		r.reload("broken.go")
		time.Sleep(2 * time.Second)
		r.reload("crashes.go")
		time.Sleep(2 * time.Second)
		bf, sf := all[BuildFailed](r), all[StartFailed](r)
		if len(bf) != 1 || bf[0].ServingPID != 1001 || bf[0].Gen != 2 {
			t.Errorf("build_failed = %+v, want gen 2 with 1001 serving", bf)
		}
		if len(sf) != 1 || sf[0].ServingPID != 1001 || !errors.Is(sf[0].Err, ErrNotReady) {
			t.Errorf("start_failed = %+v, want one with 1001 serving", sf)
		}
		wantEq(t, "stopped before shutdown", f.stopped, []int(nil))
		r.reload("fixed.go")
		time.Sleep(2 * time.Second)
		r.stop(t)
		if sw := all[Swapped](r); len(sw) != 2 || sw[1].OldPID != 1001 || sw[1].NewPID != 1004 {
			t.Errorf("swaps = %+v, want 1001 replaced by 1004", sw)
		}
	})
}

// A new generation that fails while the previous one still drains keeps
// the one that serves, and stops nothing else.
func TestLoopFailedStartDuringDrain(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.buildTime, f.stopTime = 100*time.Millisecond, 10*time.Second
		f.badStart[3] = true
		r := startLoop(t, Config{}, f)
		time.Sleep(time.Second)
		r.reload("a.go") // 1002 replaces 1001, which drains for 10s
		time.Sleep(time.Second)
		r.reload("b.go") // fails while 1001 still drains
		time.Sleep(time.Second)
		sf := all[StartFailed](r)
		if len(sf) != 1 || sf[0].ServingPID != 1002 {
			t.Errorf("start_failed = %+v, want one with 1002 serving", sf)
		}
		wantEq(t, "stopped", f.stopped, []int{1001})
		r.stop(t)
		wantEq(t, "stopped", f.stopped, []int{1001, 1002})
	})
}

// Crashes back off exponentially up to the cap, with no CPU spent between.
func TestLoopCrashBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.buildTime = 0
		r := startLoop(t, Config{RestartOnCrash: true, CrashBackoff: 20 * time.Millisecond, CrashBackoffMax: 300 * time.Millisecond}, f)
		for gen := 1; gen <= 6; gen++ {
			time.Sleep(time.Second) // ready long before; backoff long over
			f.crash(gen)
			synctest.Wait()
		}
		r.stop(t)
		var backoffs []time.Duration
		for _, c := range all[Crashed](r) {
			backoffs = append(backoffs, c.Backoff)
		}
		// Each child stayed up 1s >= the 300ms cap, so the backoff starts over.
		ms := 20 * time.Millisecond
		wantEq(t, "backoffs", backoffs, []time.Duration{ms, ms, ms, ms, ms, ms})
	})
}

// Children that crash at start-up back off 20ms, 40ms, ... up to the cap.
func TestLoopCrashLoopBacksOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.buildTime = 0
		for gen := 1; gen <= 8; gen++ {
			f.badStart[gen] = true
		}
		r := startLoop(t, Config{RestartOnCrash: true, CrashBackoff: 20 * time.Millisecond, CrashBackoffMax: 500 * time.Millisecond}, f)
		start := time.Now()
		for len(all[Crashed](r)) < 8 {
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		r.stop(t)
		var backoffs []time.Duration
		for _, c := range all[Crashed](r) {
			backoffs = append(backoffs, c.Backoff.Round(time.Millisecond))
		}
		ms := time.Millisecond
		wantEq(t, "backoffs", backoffs, []time.Duration{20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 500 * ms, 500 * ms, 500 * ms})
		// The restarts waited out every backoff but the last.
		if want := (20 + 40 + 80 + 160 + 320 + 500 + 500) * ms; took < want {
			t.Errorf("8 crashes took %v of fake time, want at least %v", took, want)
		}
	})
}

// A change that starts a healthy child cancels the restart the backoff
// was waiting for, so it never replaces the good child.
func TestLoopChangeCancelsCrashRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.buildTime = 0
		r := startLoop(t, Config{RestartOnCrash: true, CrashBackoff: 5 * time.Second, CrashBackoffMax: time.Minute}, f)
		time.Sleep(time.Second)
		f.crash(1) // restart due in 5s
		synctest.Wait()
		r.reload("fix.go")
		time.Sleep(time.Minute)
		r.stop(t)
		sw := all[Swapped](r)
		if len(sw) != 2 || sw[1].Change != "fix.go" {
			t.Errorf("swaps = %+v, want start and fix.go only (no restart after crash)", sw)
		}
	})
}

// In sequential mode the old child is gone before the new one starts.
func TestLoopSequentialStopsFirst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, Config{Restart: RestartSequential}, f)
		time.Sleep(2 * time.Second)
		r.reload("a.go")
		time.Sleep(2 * time.Second)
		r.stop(t)
		old := f.children[1]
		if !old.stopping.Load() {
			t.Fatal("the old child was not stopped")
		}
		if got := f.children[2].started.Sub(old.started); got < f.buildTime+f.readyTime+f.stopTime {
			t.Errorf("the new child started %v after the old one: before it had stopped", got)
		}
		wantEq(t, "events", r.names("building"), []string{
			"child_started", "child_ready", "swapped",
			"child_started", "child_ready", "swapped",
			"stopped",
		})
		if sw := all[Swapped](r); sw[1].OldPID != 1001 {
			t.Errorf("sequential swap reports old pid %d, want 1001", sw[1].OldPID)
		}
	})
}
