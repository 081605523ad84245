package supervisor

import (
	"context"
	"os"
	"path/filepath"

	"github.com/reloader-dev/reloader/watcher"
)

// watch starts the watcher on the watch root, or returns a nil channel when
// watching is off.
func (s *Supervisor) watch(ctx context.Context) (<-chan watcher.Batch, func(), error) {
	opts := watcher.Options{Root: s.cfg.WatchRoot, Debounce: s.cfg.Debounce, Logger: s.log}
	switch {
	case s.cfg.Watch:
		if opts.Root == "" {
			opts.Root = moduleRoot(s.dir)
		}
	case s.cfg.WatchBinary:
		bin := s.resolve(s.cfg.Command[0])
		opts.Root = filepath.Dir(bin)
		opts.Names, opts.Extensions = []string{filepath.Base(bin)}, []string{}
		opts.Ignore = func(path string, isDir bool) bool { return isDir && path != opts.Root }
	default:
		return nil, func() {}, nil
	}
	root := opts.Root
	w, err := watcher.New(opts)
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
	s.log.Info("watching", "root", root)
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
