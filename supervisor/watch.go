package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/reloader-dev/reloader/watcher"
)

// changeSource is what the supervisor needs from a watcher: the fsnotify
// Watcher and the polling Poller both provide it.
type changeSource interface {
	Changes() <-chan watcher.Batch
	Errors() <-chan error
	Run(ctx context.Context) error
	Close() error
	Hold() (release func())
}

// watcherOptions builds the watcher options from the config; New calls it
// so that bad globs and refused roots are config errors.
func (s *Supervisor) watcherOptions() (watcher.Options, error) {
	root, err := s.watchRoot()
	if err != nil {
		return watcher.Options{}, err
	}
	opts := watcher.Options{
		Root:         root,
		Extensions:   s.cfg.WatchExtensions,
		IncludeTests: s.cfg.WatchIncludeTests,
		Debounce:     watchDebounce(s.cfg.Debounce),
		MaxWait:      watchMaxWait(s.cfg.MaxWait),
		Logger:       s.log,
	}
	f, err := newPathFilter(root, s.cfg.WatchInclude, s.cfg.WatchExclude, s.cfg.WatchNoGitIgnore)
	if err != nil {
		return watcher.Options{}, err
	}
	if f != nil {
		opts.Ignore = f.ignore
	}
	if len(s.cfg.Rules) > 0 {
		opts.Also = ruleFilter(s.cfg.Rules, root)
	}
	if s.assets = newAssetFilter(root, s.cfg.Assets); s.assets != nil {
		s.assets.options(&opts)
	}
	return opts, nil
}

// watchOrWarn starts watching. If that fails (an inotify limit, say: the
// error names the sysctl to raise), it says so and returns no changes: the
// app still runs, and SIGHUP still swaps.
func (s *Supervisor) watchOrWarn(ctx context.Context) (<-chan watcher.Batch, func()) {
	changes, stop, err := s.watch(ctx)
	if err != nil {
		s.emit(WatchFailed{Err: err})
		return nil, func() {}
	}
	return changes, stop
}

// watch starts the watcher on the watch root, or returns a nil channel when
// watching is off.
func (s *Supervisor) watch(ctx context.Context) (<-chan watcher.Batch, func(), error) {
	opts := s.watchOpts
	switch {
	case s.cfg.Watch:
	case s.cfg.WatchBinary:
		bin := s.resolve(s.cfg.Command[0])
		root := filepath.Dir(bin)
		opts = watcher.Options{
			Root: root, Names: []string{filepath.Base(bin)}, Extensions: []string{},
			Ignore:   func(path string, isDir bool) bool { return isDir && path != root },
			Debounce: watchDebounce(s.cfg.Debounce), Logger: s.log,
		}
	default:
		return nil, func() {}, nil
	}
	w, err := s.newSource(opts)
	if err != nil {
		return nil, nil, err
	}
	s.emit(Watching{Root: opts.Root, Poll: s.cfg.Poll})
	out := make(chan watcher.Batch)
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Started here, not in the goroutine: the first build's pre_build
	// hook, which may run as soon as watch returns, holds it.
	stop := s.start(wctx, w)
	wg.Go(func() { s.watchLoop(wctx, opts, w, stop, out) })
	if s.cfg.Watch && s.deps != nil {
		wg.Go(func() { s.followDeps(wctx, s.deps, opts, out) })
	}
	if s.cfg.Watch {
		s.watchEnvFiles(wctx, &wg)
	}
	return out, func() { cancel(); wg.Wait() }, nil
}

func (s *Supervisor) newSource(opts watcher.Options) (changeSource, error) {
	if s.sources != nil {
		return s.sources(opts)
	}
	if s.cfg.Poll && s.cfg.Watch {
		return watcher.NewPoller(opts, s.cfg.PollInterval)
	}
	return watcher.New(opts)
}

// watchLoop forwards batches of w, started with stop (Supervisor.start),
// to out. When the watch root is removed or renamed away it says so, keeps
// the child serving, waits for the root to come back, watches it again and
// asks for one build.
func (s *Supervisor) watchLoop(ctx context.Context, opts watcher.Options, w changeSource, stop func(), out chan<- watcher.Batch) {
	for {
		removed := s.forward(ctx, w, out)
		stop()
		w.Close()
		if !removed || ctx.Err() != nil {
			return
		}
		s.emit(RootRemoved{Root: opts.Root})
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(rootPoll):
			}
			if fi, err := os.Stat(opts.Root); err != nil || !fi.IsDir() {
				continue
			}
			var err error
			if w, err = s.newSource(opts); err == nil {
				stop = s.start(ctx, w)
				break
			}
			s.log.Warn("watching the returned root failed; retrying", "root", opts.Root, "err", err)
		}
		s.emit(RootBack{Root: opts.Root})
		select {
		case out <- watcher.Batch{Paths: []string{opts.Root}, Count: 1}:
		case <-ctx.Done():
			stop()
			w.Close()
			return
		}
	}
}

// rootPoll is how often a removed watch root is looked for.
const rootPoll = 250 * time.Millisecond

// forward passes the batches of w, which runs (Supervisor.start), on until
// ctx ends or w ends. It reports whether w stopped because its root went
// away.
func (s *Supervisor) forward(ctx context.Context, w changeSource, out chan<- watcher.Batch) (rootRemoved bool) {
	changes, errs := w.Changes(), w.Errors()
	for {
		select {
		case <-ctx.Done():
			return false
		case b, ok := <-changes:
			if !ok {
				return false
			}
			select {
			case out <- b:
			case <-ctx.Done():
				return false
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, watcher.ErrRootRemoved) {
				return true
			}
			s.log.Warn("watcher", "err", err)
		}
	}
}

// moduleRoot returns the directory of the nearest go.mod at or above dir,
// or dir itself when there is none.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}
