package supervisor

import (
	"context"
	"sync"
)

// watched is the set of change sources running now (the main root's, those
// of the modules outside it that the build uses, those of the env files)
// and the holds taken on them, for holdWatch. Its zero value has no
// sources and no hold.
//
// Every method takes mu for its whole run, Hold and release calls
// included: those wait only for the source's own Run goroutine, which
// never takes mu, so a source added or removed meanwhile waits for the
// hold to be taken or released on every source, never the reverse.
type watched struct {
	mu sync.Mutex
	// srcs maps each running source to the release of the hold taken on
	// it; nil when it is not held.
	srcs map[changeSource]func()
	// holds counts the holds not yet released; 0 means none: the sources
	// are not held.
	holds int
}

// add registers src, whose Run must have been started (Hold waits for
// it): while a hold is active, src is held before add returns, so that a
// write through a watch added during a hook does not count either. remove
// forgets src without releasing it: its caller is about to close it. remove
// may be called more than once.
func (w *watched) add(src changeSource) (remove func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srcs == nil {
		w.srcs = map[changeSource]func(){}
	}
	var release func()
	if w.holds > 0 {
		release = src.Hold()
	}
	w.srcs[src] = release
	return sync.OnceFunc(func() {
		w.mu.Lock()
		delete(w.srcs, src)
		w.mu.Unlock()
	})
}

// hold holds every source registered now and every one added before the
// last release. Holds nest: the sources are held once, from the first hold,
// and released once, when the last hold is released. release may be called
// more than once; only the first call counts.
func (w *watched) hold() (release func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.holds++
	if w.holds == 1 {
		for src := range w.srcs {
			w.srcs[src] = src.Hold()
		}
	}
	return sync.OnceFunc(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.holds--; w.holds > 0 {
			return
		}
		for src, r := range w.srcs {
			if r != nil {
				r()
			}
			w.srcs[src] = nil
		}
	})
}

// holdWatch makes the files written from now until release not count as
// changes, in the main watch root and in every other directory watched
// (the modules outside the root that a go run build uses, the env files'
// directories): the pre_build hook and rules run between the two, and the
// build that follows sees what they wrote (watcher.Watcher.Hold). A watch
// that starts before release is held from its start. With nothing watched
// it holds nothing.
func (s *Supervisor) holdWatch() (release func()) {
	return s.watched.hold()
}

// start runs w (its Run, in a goroutine) until ctx is done or stop is
// called, and registers it with holdWatch, held at once while a hold is
// active. stop cancels Run and unregisters w; the caller then closes w.
// stop may be called more than once.
func (s *Supervisor) start(ctx context.Context, w changeSource) (stop func()) {
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		if err := w.Run(rctx); err != nil {
			s.log.Error("watcher stopped", "err", err)
		}
	}()
	remove := s.watched.add(w)
	return func() {
		remove()
		cancel()
	}
}
