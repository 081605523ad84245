package watcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// errStream is returned by Run when fsnotify closes its channels while the
// watcher is still running, which should not happen.
var errStream = errors.New("watcher: event stream closed unexpectedly")

// loop is the body of Run. It owns w.dirs and all batching state.
//
// Changes accumulate in pending. When pending has been quiet for the debounce
// period (or MaxWait has passed since its first change) it becomes ready, or
// is merged into ready if the consumer has not taken the previous batch yet.
// The ready batch is offered on w.changes in the same select that receives
// events, so the loop never blocks on the consumer.
func (w *Watcher) loop(ctx context.Context) error {
	var (
		pending   = newChangeSet()
		ready     *changeSet
		out       chan<- Batch // w.changes while ready != nil, else nil
		batch     Batch        // ready.batch(), built once per change of ready
		lastEvent time.Time
		armed     bool
		timer     = time.NewTimer(time.Hour)
		held      *changeSet // while held (holds > 0), what events go to
		holds     int
	)
	timer.Stop()
	defer timer.Stop()

	// maxWaitOver reports whether MaxWait has passed since the first pending
	// change.
	maxWaitOver := func(now time.Time) bool {
		return w.cfg.maxWait >= 0 && !now.Before(pending.first.Add(w.cfg.maxWait))
	}
	// deadline is when pending becomes ready: after the quiet period, but no
	// later than MaxWait after its first change.
	deadline := func() time.Time {
		d := lastEvent.Add(w.cfg.debounce)
		if w.cfg.maxWait >= 0 {
			if limit := pending.first.Add(w.cfg.maxWait); limit.Before(d) {
				d = limit
			}
		}
		return d
	}
	// touch records that an event arrived while changes are pending. Rather
	// than resetting the timer on every event of a burst, the timer checks
	// on expiry whether the deadline has moved.
	touch := func() {
		if held != nil || pending.empty() {
			return
		}
		lastEvent = time.Now()
		if !armed {
			armed = true
			timer.Reset(time.Until(deadline()))
		}
	}

	// target is where changes go: the held set while held.
	target := func() *changeSet {
		if held != nil {
			return held
		}
		return pending
	}

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.stop:
			return nil

		case r := <-w.holds:
			switch {
			case r.hold:
				holds++
				if held == nil {
					held = newChangeSet()
				}
			case holds > 0:
				holds--
				if holds == 0 {
					w.settle(held)
					held = nil
				}
			}
			close(r.done)

		case ev, ok := <-w.fs.Events:
			if !ok {
				return errStream
			}
			w.handle(ev, target())
			touch()

		case err, ok := <-w.fs.Errors:
			if !ok {
				return errStream
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.resync(target())
			} else {
				w.report(fmt.Errorf("watcher: %w", err))
			}
			touch()

		case now := <-timer.C:
			armed = false
			if !maxWaitOver(now) {
				// An event may be waiting while the timer fired (select
				// picks at random, and this goroutine may have been
				// descheduled): the period was not quiet then.
				select {
				case ev, ok := <-w.fs.Events:
					if !ok {
						return errStream
					}
					w.handle(ev, target())
					touch()
					continue
				default:
				}
				if wait := deadline().Sub(now); wait > 0 {
					armed = true
					timer.Reset(wait)
					continue
				}
			}
			// Only now, after the quiet period, are the files read: a
			// file caught half written counts again once it is whole.
			w.verify(pending)
			if pending.empty() {
				pending = newChangeSet() // rewrites with the same bytes only
				continue
			}
			if ready == nil {
				ready = pending
			} else {
				ready.merge(pending)
			}
			pending = newChangeSet()
			batch, out = ready.batch(), w.changes
			w.log.Debug("watcher: batch ready", "count", batch.Count, "first", batch.First())

		case out <- batch:
			ready, out, batch = nil, nil, Batch{}
		}
	}
}

// handle processes one fsnotify event, adding changed paths to cs.
func (w *Watcher) handle(ev fsnotify.Event, cs *changeSet) {
	w.log.Debug("watcher: event", "op", ev.Op, "path", ev.Name)
	path := ev.Name
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.removed(path, ev.Has(fsnotify.Rename), cs)
	}
	if ev.Has(fsnotify.Create) {
		w.created(path, cs)
	} else if ev.Has(fsnotify.Write) {
		// kqueue and Windows report writes on directories when their
		// entries change; those are not changes of a file.
		if _, isDir := w.dirs[path]; !isDir {
			w.file(path, cs)
		}
	}
	// Chmod alone is not a change.
}

// created handles a path that appeared, by creation or by being moved in.
func (w *Watcher) created(path string, cs *changeSet) {
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() {
		// A file, or something already gone again: it still counts if it
		// matches, since it may have replaced a file of the build.
		w.file(path, cs)
		return
	}
	if w.cfg.skipDir(path, filepath.Base(path)) {
		return
	}
	// Walk even if the directory is already known: it may be a different
	// directory renamed over it. Files created before the watch was added
	// are found by the walk; files created after produce events. Either
	// way they are deduplicated by cs.
	_ = w.walk(path, cs, false)
}

// removed handles a path that was removed or renamed away.
func (w *Watcher) removed(path string, renamed bool, cs *changeSet) {
	if _, isDir := w.dirs[path]; !isDir {
		w.file(path, cs)
		return
	}
	// The kernel drops the watch of a removed directory by itself. A renamed
	// directory keeps its watches (and those below it), under stale names, so
	// remove them: the new name is watched afresh when its Create arrives.
	for d := range w.dirs {
		if isWithin(d, path) {
			delete(w.dirs, d)
			if renamed {
				_ = w.fs.Remove(d) // may already be gone; nothing to do then
			}
		}
	}
	// Its files are gone from the build: when they come back they count,
	// whatever they hold. They stay known, so that their own removal events
	// count too.
	for p := range w.sums {
		if isWithin(p, path) {
			w.sums[p] = fileSum{}
		}
	}
	cs.add(path)
	if path == w.cfg.root {
		w.report(fmt.Errorf("%w: %s", ErrRootRemoved, path))
	}
}

// file adds path to cs if it is a file that counts; verify drops it later
// if its content did not change.
func (w *Watcher) file(path string, cs *changeSet) {
	if w.cfg.matchFile(path, filepath.Base(path)) {
		cs.addFile(path)
	}
}

// verify reads the files of cs and drops those whose content is what it
// was when last read.
func (w *Watcher) verify(cs *changeSet) {
	for path := range cs.files {
		if !w.sums.changed(path) {
			cs.remove(path)
		}
	}
}

// resync recovers from lost events: it re-adds watches for the whole tree,
// drops watches of directories that are gone, and adds the root to cs.
func (w *Watcher) resync(cs *changeSet) {
	w.report(fmt.Errorf("%w; rescanning %s", ErrOverflow, w.cfg.root))
	old := w.dirs
	w.dirs = make(map[string]struct{}, len(old))
	_ = w.walk(w.cfg.root, nil, false)
	for d := range old {
		if _, ok := w.dirs[d]; !ok {
			_ = w.fs.Remove(d)
		}
	}
	cs.add(w.cfg.root)
}

// walk watches top and every directory below it that is not skipped, and adds
// the files that count to cs (unless cs is nil). The caller has checked that
// top itself is not skipped.
//
// In strict mode (used by New) failing to watch the root, or reaching a watch
// limit, is returned as an error. Otherwise errors are reported on Errors and
// the walk goes on; after a watch limit error no further watches are tried,
// but files are still recorded.
func (w *Watcher) walk(top string, cs *changeSet, strict bool) error {
	var limitErr error
	var visit func(dir string) error
	visit = func(dir string) error {
		isRoot := strict && dir == w.cfg.root
		if limitErr == nil {
			err := w.watch(dir)
			switch {
			case err == nil:
			case isRoot:
				return err
			case errors.Is(err, fs.ErrNotExist):
				return nil // removed while we walked; its event follows
			case errors.Is(err, ErrWatchLimit):
				if strict {
					return err
				}
				limitErr = err
			default:
				w.report(err)
				return nil
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			err = fmt.Errorf("watcher: %w", err)
			if isRoot {
				return err
			}
			if !errors.Is(err, fs.ErrNotExist) {
				w.report(err)
			}
			// ReadDir returns the entries read before the error; use them.
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if e.IsDir() {
				if !w.cfg.skipDir(p, e.Name()) {
					if err := visit(p); err != nil {
						return err
					}
				}
			} else if w.cfg.matchFile(p, e.Name()) {
				if cs == nil {
					w.sums.seed(p) // first sight: at New or a rescan
				} else {
					cs.addFile(p)
				}
			}
		}
		return nil
	}
	err := visit(top)
	if limitErr != nil {
		w.report(limitErr)
	}
	return err
}

// watch adds an fsnotify watch for dir.
func (w *Watcher) watch(dir string) error {
	if err := w.fs.Add(dir); err != nil {
		return watchError(dir, err)
	}
	w.dirs[dir] = struct{}{}
	w.log.Debug("watcher: watching", "dir", dir)
	return nil
}
