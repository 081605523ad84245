package supervisor

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/reloader-dev/reloader/watcher"
)

// moduleFiles are the files that decide what a build uses besides the
// packages: a change to one always counts, and recomputes the package set.
var moduleFiles = []string{"go.mod", "go.sum", "go.work", "go.work.sum"}

func isModuleFile(path string) bool { return slices.Contains(moduleFiles, filepath.Base(path)) }

// depWatch decides, for a `go run` command, which changes count: those in
// the directories of the packages the binary is built from (depSet), the
// files they embed, the module files, and what watch.root and watch.include
// add. Until the first `go list` answers, and after it fails, every file
// under the root counts, as for other commands.
type depWatch struct {
	root     string            // the main watch root, absolute
	explicit bool              // Config.WatchRoot was set: every file under root counts
	base     *pathFilter       // exclude globs and ignore files (with include when explicit); nil if none
	include  []string          // globs relative to root that add files (when not explicit)
	exts     map[string]bool   // the extensions that count
	rules    func(string) bool // a file a [[watch.rule]] matches counts wherever it is; nil if none
	set      atomic.Pointer[depSet]
	// kick asks for the set to be computed again (after a swap, or a
	// change to a module file); buffered, one pending request is enough.
	kick chan struct{}
}

// newDepWatch returns the deps filter for the go run target, or nil when
// this run watches the whole root (not a go run command, or not watching).
func (s *Supervisor) newDepWatch(root string) (*depWatch, error) {
	if !s.cfg.Watch || !s.isGoRun {
		return nil, nil
	}
	d := &depWatch{root: root, explicit: s.cfg.WatchRoot != "", exts: map[string]bool{}, kick: make(chan struct{}, 1)}
	exts := s.cfg.WatchExtensions
	if exts == nil {
		exts = watcher.DefaultExtensions()
	}
	for _, e := range exts {
		if e != "" && e[0] != '.' {
			e = "." + e
		}
		d.exts[e] = true
	}
	if len(s.cfg.Rules) > 0 {
		d.rules = ruleFilter(s.cfg.Rules, root)
	}
	include := s.cfg.WatchInclude
	if !d.explicit {
		include = nil
		for _, p := range s.cfg.WatchInclude {
			d.include = append(d.include, strings.TrimPrefix(filepath.ToSlash(p), "./"))
		}
	}
	var err error
	if d.base, err = newPathFilter(root, include, s.cfg.WatchExclude, s.cfg.WatchNoGitIgnore); err != nil {
		return nil, err
	}
	if _, err := newPathFilter(root, s.cfg.WatchInclude, nil, true); err != nil {
		return nil, err // a bad include glob
	}
	return d, nil
}

// options returns the watcher options for root (the main root or a module
// root outside it): every file reaches ignore, which decides.
func (d *depWatch) options(opts watcher.Options, root string) watcher.Options {
	opts.Root = root
	opts.AnyFile = true
	opts.Names = moduleFiles
	opts.Ignore = d.ignore
	return opts
}

// ignore is a watcher.Options.Ignore function; path is absolute.
func (d *depWatch) ignore(path string, isDir bool) bool {
	set := d.set.Load()
	embedded := !isDir && set != nil && set.embeds[path]
	ruled := !isDir && d.rules != nil && d.rules(path)
	if !isDir && !embedded && !ruled && !d.exts[filepath.Ext(path)] && !isModuleFile(path) {
		return true // cheap first: most files of a tree are not sources
	}
	if d.base != nil && d.base.ignore(path, isDir) {
		return true
	}
	if isDir || embedded || ruled || isModuleFile(path) {
		return false
	}
	if set == nil || d.explicit && isUnder(path, d.root) || set.dirs[filepath.Dir(path)] {
		return false
	}
	if rel, err := filepath.Rel(d.root, path); err == nil && !strings.HasPrefix(rel, "..") {
		for _, p := range d.include {
			if doublestar.MatchUnvalidated(p, filepath.ToSlash(rel)) {
				return false
			}
		}
	}
	return true
}

// depsListDelay is how long after a request the package set is listed.
const depsListDelay = time.Second

// recompute asks for the package set to be computed again, depsListDelay
// later. It never blocks.
func (d *depWatch) recompute() {
	if d == nil {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// followDeps computes the package set with `go list` whenever asked to
// (after each swap, the first included, and when a module file changes),
// and watches the module roots outside the main root that it names
// (and the go.work file's directory), sending their batches to out. It
// returns when ctx is done.
func (s *Supervisor) followDeps(ctx context.Context, d *depWatch, opts watcher.Options, out chan<- watcher.Batch) {
	extra := map[string]*extraWatch{} // by root (or go.work dir)
	done := make(chan *extraWatch)    // a watch that ended
	running := 0
	defer func() {
		for _, ew := range extra {
			ew.stop()
		}
		for ; running > 0; running-- {
			<-done
		}
	}()
	var last *depSet
	warned := false
	// The first list waits for the first swap: it would slow the first
	// build down, and until it answers every file counts anyway.
	if !s.awaitKick(ctx, d, extra, done, &running) {
		return
	}
	for {
		// The list waits a while after the kick: after a swap, the
		// browser's reload and the new child's first requests come
		// first (a list right at the swap cost the reload 20 ms on 2
		// cores). Kicks meanwhile are one list.
		select {
		case <-ctx.Done():
			return
		case <-time.After(depsListDelay):
		}
		select {
		case <-d.kick:
		default:
		}
		set, err := s.listDeps(ctx, d.root)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			d.set.Store(nil)
			last = nil
			if !warned {
				warned = true
				s.emit(WatchDepsFailed{Root: d.root, Err: err})
			}
		} else {
			d.set.Store(&set)
			if last == nil || !maps.Equal(last.dirs, set.dirs) || !maps.Equal(last.embeds, set.embeds) || last.work != set.work {
				s.emit(WatchingDeps{Dirs: len(set.dirs), Embeds: len(set.embeds), Roots: set.roots, Work: set.work})
			}
			last = &set
			want := map[string]watcher.Options{}
			for _, r := range set.roots {
				want[r] = d.options(opts, r)
			}
			if set.work != "" {
				if wd := filepath.Dir(set.work); !isUnder(wd, d.root) && !slices.ContainsFunc(set.roots, func(r string) bool { return isUnder(wd, r) }) {
					o := d.options(opts, wd)
					o.Ignore = func(p string, isDir bool) bool {
						return isDir && p != wd || !isDir && !isModuleFile(p)
					}
					want[wd] = o
				}
			}
			for r, ew := range extra {
				if _, ok := want[r]; !ok {
					ew.stop()
					delete(extra, r)
				}
			}
			for r, o := range want {
				if _, ok := extra[r]; ok {
					continue
				}
				w, err := s.newSource(o)
				if err != nil {
					s.log.Warn("watching a module outside the watch root failed", "root", r, "err", err)
					continue
				}
				wctx, cancel := context.WithCancel(ctx)
				// Held at once while a hook or rule runs: what it writes
				// into this module is no new change either.
				stop := s.start(wctx, w)
				ew := &extraWatch{root: r, stop: cancel}
				extra[r] = ew
				running++
				go func() {
					s.forward(wctx, w, out)
					stop()
					w.Close()
					done <- ew
				}()
			}
		}
		if !s.awaitKick(ctx, d, extra, done, &running) {
			return
		}
	}
}

// extraWatch is the watch of a directory outside the main root.
type extraWatch struct {
	root string
	stop context.CancelFunc
}

// awaitKick waits for a request to recompute. A watch of an extra root
// that ends meanwhile (its directory went away) is forgotten, so the next
// recompute watches it again if it is still needed. It reports false when
// ctx is done.
func (s *Supervisor) awaitKick(ctx context.Context, d *depWatch, extra map[string]*extraWatch, done <-chan *extraWatch, running *int) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-d.kick:
			return true
		case ew := <-done:
			*running--
			ew.stop()
			if extra[ew.root] == ew {
				delete(extra, ew.root)
			}
		}
	}
}
