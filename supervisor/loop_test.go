package supervisor

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestLoopStartsAndSwaps(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, nil, f)
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
		r := startLoop(t, nil, f)
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
		r := startLoop(t, nil, f)
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
		r := startLoop(t, nil, f)
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
		r := startLoop(t, nil, f)
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
		r := startLoop(t, func(c *Config) {
			c.RestartOnCrash = true
			c.CrashBackoff = 20 * time.Millisecond
			c.CrashBackoffMax = 300 * time.Millisecond
		}, f)
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
		r := startLoop(t, func(c *Config) {
			c.RestartOnCrash = true
			c.CrashBackoff = 20 * time.Millisecond
			c.CrashBackoffMax = 500 * time.Millisecond
		}, f)
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
		r := startLoop(t, func(c *Config) {
			c.RestartOnCrash = true
			c.CrashBackoff = 5 * time.Second
			c.CrashBackoffMax = time.Minute
		}, f)
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
		r := startLoop(t, func(c *Config) { c.Restart = RestartSequential }, f)
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

// An old child that exits just as the new one becomes ready is still
// reaped: its sockets, binary and process group are released. The loop
// may take the ready child first while the old one's exit also waits; this
// test puts the loop in exactly that state and promotes.
func TestLoopOldChildExitingAtTheSwapIsReaped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, nil, f)
		r.stop(t)
		old := &child{gen: 1, pid: 1001, done: make(chan struct{})}
		close(old.done) // exited on its own, not yet seen by the loop
		ready := &child{gen: 2, pid: 1002, done: make(chan struct{})}
		l := loop{serving: old}
		r.s.promote(context.Background(), &l, &attempt{gen: 2, change: "a.go"}, step{child: ready, via: "delay"})
		if l.serving != ready {
			t.Fatalf("serving pid %d after promote, want 1002", pidOf(l.serving))
		}
		wantEq(t, "reaped", f.reaped, []int{1001})
		wantEq(t, "stopped", f.stopped, []int(nil))
	})
}

// lateGens is fakeGens with the timing of issue 13 finding 19a injected:
// the child of generation lateGen becomes ready only as Run's context is
// cancelled (Ctrl-C just as a swap completes). With readyWins, waitReady
// takes the ready child; without, it takes the cancellation, as the real
// waitReady's select may when both are ready at once.
type lateGens struct {
	*fakeGens
	lateGen   int
	readyWins bool

	mu     sync.Mutex
	killed []int
}

func (g *lateGens) waitReady(ctx context.Context, c *child) (string, error) {
	if c.gen != g.lateGen {
		return g.fakeGens.waitReady(ctx, c)
	}
	<-ctx.Done()
	if g.readyWins {
		return "notify", nil
	}
	return "", ctx.Err()
}

func (g *lateGens) kill(c *child) {
	g.mu.Lock()
	g.killed = append(g.killed, c.pid)
	g.mu.Unlock()
	g.fakeGens.kill(c)
}

// A child that became ready just as the context was cancelled is stopped
// gracefully like the serving one: never leaked, never killed. The loop is
// put in exactly that state: the attempt's start phase has a ready child
// on its done channel when shutdown runs.
func TestShutdownStopsChildReadyAtCancel(t *testing.T) {
	t.Parallel()
	for name, readyWins := range map[string]bool{"ready": true, "cancelled": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) { testShutdownAtCancel(t, readyWins) })
		})
	}
}

func testShutdownAtCancel(t *testing.T, readyWins bool) {
	f := &lateGens{fakeGens: newFakeGens(), lateGen: 2, readyWins: readyWins}
	r := startLoop(t, nil, f.fakeGens)
	r.stop(t) // a Supervisor to drive by hand

	ctx, cancel := context.WithCancel(context.Background())
	r.s.gens = f
	serving := &child{gen: 1, pid: 1001, done: make(chan struct{})}
	l := loop{serving: serving}
	a := &attempt{gen: 2, change: "a.go"}
	l.next = a
	r.s.startPhase(ctx, a, step{built: built{argv: []string{"app"}}}, serving)
	synctest.Wait() // child 1002 started, waiting to be ready
	cancel()        // Ctrl-C: ready and cancelled at once
	synctest.Wait()
	r.s.shutdown(&l)

	late := f.children[2]
	if late == nil {
		t.Fatal("generation 2 never started")
	}
	if late.alive() {
		t.Errorf("child %d was left running after shutdown", late.pid)
	}
	wantEq(t, "killed", f.killed, []int(nil))
	f.fakeGens.mu.Lock()
	stopped := append([]int(nil), f.stopped...)
	f.fakeGens.mu.Unlock()
	if len(stopped) != 2 || !slices.Contains(stopped, 1001) || !slices.Contains(stopped, 1002) {
		t.Errorf("stopped %v, want 1001 and 1002 each stopped gracefully", stopped)
	}
}
