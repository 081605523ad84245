package supervisor

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
)

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
	r.s.startPhase(ctx, a, step{argv: []string{"app"}})
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
	if len(stopped) != 2 || !contains(stopped, 1001) || !contains(stopped, 1002) {
		t.Errorf("stopped %v, want 1001 and 1002 each stopped gracefully", stopped)
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
