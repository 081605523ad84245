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
	if !s.cfg.Watch {
		return nil, func() {}, nil
	}
	root := s.cfg.WatchRoot
	if root == "" {
		root = moduleRoot(s.dir)
	}
	w, err := watcher.New(watcher.Options{Root: root, Debounce: s.cfg.Debounce, Logger: s.log})
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
