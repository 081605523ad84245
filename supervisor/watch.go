package supervisor

import (
	"context"
	"os"
	"path/filepath"

	"github.com/reloader-dev/reloader/watcher"
)

// changeSource is what the supervisor needs from a watcher: the fsnotify
// Watcher and the polling Poller both provide it.
type changeSource interface {
	Changes() <-chan watcher.Batch
	Errors() <-chan error
	Run(ctx context.Context) error
	Close() error
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
		Debounce:     s.cfg.Debounce,
		MaxWait:      s.cfg.MaxWait,
		Logger:       s.log,
	}
	f, err := newPathFilter(root, s.cfg.WatchInclude, s.cfg.WatchExclude, s.cfg.WatchNoGitIgnore)
	if err != nil {
		return watcher.Options{}, err
	}
	if f != nil {
		opts.Ignore = f.ignore
	}
	return opts, nil
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
			Debounce: s.cfg.Debounce, Logger: s.log,
		}
	default:
		return nil, func() {}, nil
	}
	var w changeSource
	var err error
	if s.cfg.Poll && s.cfg.Watch {
		w, err = watcher.NewPoller(opts, s.cfg.PollInterval)
	} else {
		w, err = watcher.New(opts)
	}
	if err != nil {
		return nil, nil, err
	}
	go func() {
		if err := w.Run(ctx); err != nil {
			s.log.Error("watcher stopped", "err", err)
		}
	}()
	go func() {
		for err := range w.Errors() {
			s.log.Warn("watcher", "err", err)
		}
	}()
	s.log.Info("watching", "root", opts.Root, "poll", s.cfg.Poll)
	return w.Changes(), func() { w.Close() }, nil
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
