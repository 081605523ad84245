package supervisor

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/watcher"
)

// countingSource is a change source that counts the holds taken on it and
// their releases.
type countingSource struct {
	fakeSource
	mu              sync.Mutex
	holds, releases int
	releasedTwice   bool
}

func (c *countingSource) Hold() (release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holds++
	released := false
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.releasedTwice = c.releasedTwice || released
		released = true
		c.releases++
	}
}

// want fails the test unless c was held and released that many times.
func (c *countingSource) want(t *testing.T, name string, holds, releases int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holds != holds || c.releases != releases || c.releasedTwice {
		t.Errorf("%s: %d holds, %d releases (a release called twice: %v); want %d, %d",
			name, c.holds, c.releases, c.releasedTwice, holds, releases)
	}
}

// holdWatch holds every source registered (the main root's and those
// outside it), once however deep the holds nest, and releases each once
// at the last release; a source added during a hold is held before add
// returns; one removed during a hold leaves the release of the others
// whole; one added after the release is not held.
func TestWatchedHoldsEverySource(t *testing.T) {
	t.Parallel()
	var w watched
	main, lib, late, gone, after := &countingSource{}, &countingSource{}, &countingSource{}, &countingSource{}, &countingSource{}
	defer w.add(main)()
	defer w.add(lib)()
	removeGone := w.add(gone)

	outer := w.hold()
	inner := w.hold()
	main.want(t, "main during the holds", 1, 0)
	lib.want(t, "lib during the holds", 1, 0)
	defer w.add(late)()
	late.want(t, "a source added during a hold", 1, 0)
	removeGone()
	removeGone()
	inner()
	inner()
	main.want(t, "main after the inner release", 1, 0)
	outer()
	for name, c := range map[string]*countingSource{"main": main, "lib": lib, "late": late} {
		c.want(t, name+" after the last release", 1, 1)
	}
	gone.want(t, "a source removed during the hold", 1, 0)

	defer w.add(after)()
	after.want(t, "a source added after the release", 0, 0)
	w.hold()()
	after.want(t, "a source added after the release, held again", 1, 1)
	main.want(t, "main, held again", 2, 2)
}

// Holds, releases, adds and removes from several goroutines at once (the
// build's hook, followDeps, the main watch loop) leave every source that
// stays released as often as it was held, and one removed held at most
// once more than released (run with -race).
func TestWatchedConcurrent(t *testing.T) {
	t.Parallel()
	var w watched
	var wg sync.WaitGroup
	var stay, gone []*countingSource
	for range 8 {
		c, d := &countingSource{}, &countingSource{}
		stay, gone = append(stay, c), append(gone, d)
		wg.Go(func() {
			w.add(c)
			w.hold()()
		})
		wg.Go(func() {
			remove := w.add(d)
			w.hold()()
			remove()
		})
		wg.Go(func() { w.hold()() })
	}
	wg.Wait()
	check := func(c *countingSource, ok func(holds, releases int) bool, want string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !ok(c.holds, c.releases) || c.releasedTwice {
			t.Errorf("%d holds, %d releases (twice: %v); want %s", c.holds, c.releases, c.releasedTwice, want)
		}
	}
	for _, c := range stay {
		check(c, func(h, r int) bool { return h == r && h > 0 }, "as many releases as holds, at least one")
	}
	for _, c := range gone {
		check(c, func(h, r int) bool { return r <= h && h <= r+1 }, "at most one hold more than releases")
	}
}

// A real watcher that starts while a hook runs (followDeps watching a
// module outside the root) is held from its start: the hook's write
// through it is no change, and a write after the release is.
func TestStartDuringHoldIsHeld(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen.go")
	if err := os.WriteFile(gen, []byte("package lib\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Supervisor{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	release := s.holdWatch()
	w, err := watcher.New(watcher.Options{Root: dir, Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stop := s.start(ctx, w)
	defer stop()
	if err := os.WriteFile(gen, []byte("package lib\n\nconst Gen = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	release()
	after := filepath.Join(dir, "after.go")
	if err := os.WriteFile(after, []byte("package lib\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-w.Changes():
		if len(b.Paths) != 1 || b.Paths[0] != after {
			t.Errorf("first batch %v, want %s alone: the write during the hold counted", b.Paths, after)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no batch for the write after the release")
	}
}
