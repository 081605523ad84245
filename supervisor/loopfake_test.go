package supervisor

import (
	"context"
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

	mu       sync.Mutex
	badBuild map[int]bool // generations whose build fails
	badStart map[int]bool // generations whose child exits before it is ready
	// binds holds the generations whose child binds this address itself:
	// it exits before it is ready while another child is alive.
	binds     map[int]string
	children  map[int]*child
	stopped   []int // pids, in the order their stop began
	reaped    []int // pids released after they exited on their own
	cancelled []int // generations whose build was cancelled
}

func newFakeGens() *fakeGens {
	return &fakeGens{
		buildTime: time.Second, readyTime: 100 * time.Millisecond, stopTime: 50 * time.Millisecond,
		badBuild: map[int]bool{}, badStart: map[int]bool{}, binds: map[int]string{}, children: map[int]*child{},
	}
}

func (f *fakeGens) prepare(ctx context.Context, gen int, change string) (built, error) {
	select {
	case <-time.After(f.buildTime):
	case <-ctx.Done():
		f.mu.Lock()
		f.cancelled = append(f.cancelled, gen)
		f.mu.Unlock()
		return built{}, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.badBuild[gen] {
		return built{}, &BuildError{Err: fmt.Errorf("gen %d does not compile", gen)}
	}
	return built{argv: []string{"app"}}, nil
}

func (f *fakeGens) reuse(int, *child) (built, error) { return built{argv: []string{"app"}}, nil }

func (f *fakeGens) startChild(_ context.Context, gen int, _ built) (*child, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &child{gen: gen, pid: 1000 + gen, started: time.Now(), done: make(chan struct{})}
	f.children[gen] = c
	return c, nil
}

func (f *fakeGens) waitReady(ctx context.Context, c *child) (string, error) {
	f.mu.Lock()
	bad := f.badStart[c.gen] || f.binds[c.gen] != "" && f.othersAlive(c)
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

// othersAlive reports whether a child other than c has not exited; f.mu
// is held.
func (f *fakeGens) othersAlive(c *child) bool {
	for _, o := range f.children {
		if o != c && o.alive() {
			return true
		}
	}
	return false
}

func (f *fakeGens) inUseBy(c, old *child) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr := f.binds[c.gen]
	return addr, addr != "" && old.alive()
}

func (f *fakeGens) kill(c *child) { c.stopping.Store(true); f.exit(c) }
func (f *fakeGens) reap(c *child) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reaped = append(f.reaped, c.pid)
}

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

// child returns generation gen's latest child, or nil.
func (f *fakeGens) child(gen int) *child {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.children[gen]
}

// crash makes generation gen's child exit on its own.
func (f *fakeGens) crash(gen int) { f.exit(f.child(gen)) }

// loopRun runs a Supervisor on f inside the current synctest bubble and
// records its events.
type loopRun struct {
	*eventLog
	s      *Supervisor
	f      *fakeGens
	cancel context.CancelFunc
	done   chan error
}

func startLoop(t *testing.T, set func(*Config), f *fakeGens) *loopRun {
	t.Helper()
	return startLoopWith(t, set, f, nil)
}

// startLoopWith is startLoop with more set on the Supervisor before Run.
func startLoopWith(t *testing.T, set func(*Config), f *fakeGens, more func(*Supervisor)) *loopRun {
	t.Helper()
	cfg := config(set)
	cfg.Command = []string{"app"}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := &loopRun{eventLog: newEventLog(), f: f, done: make(chan error, 1)}
	cfg.OnEvent = r.record
	r.s = &Supervisor{cfg: cfg, log: cfg.Logger, reload: make(chan string, 1), restarts: make(chan string, 1), ready: make(chan struct{}),
		srv: bare{}, gens: f, out: newOutputs(io.Discard, io.Discard, [2]string{})}
	if more != nil {
		more(r.s)
	}
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
