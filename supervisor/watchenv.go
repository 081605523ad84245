package supervisor

import (
	"context"
	"path/filepath"
	"sync"

	"github.com/reloader-dev/reloader/watcher"
)

// watchEnvFiles watches the directories of Config.EnvFiles, not
// recursively, and asks for a restart without a build (s.restarts) when
// one of the files is written, created or removed, until ctx is done.
func (s *Supervisor) watchEnvFiles(ctx context.Context, wg *sync.WaitGroup) {
	byDir := map[string]map[string]bool{}
	for _, f := range s.cfg.EnvFiles {
		p := f.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.dir, p)
		}
		p = filepath.Clean(p)
		d := filepath.Dir(p)
		if byDir[d] == nil {
			byDir[d] = map[string]bool{}
		}
		byDir[d][p] = true
	}
	for dir, files := range byDir {
		var names []string
		for p := range files {
			names = append(names, filepath.Base(p))
		}
		opts := watcher.Options{
			Root: dir, Names: names, AnyFile: true, Extensions: []string{},
			Ignore: func(p string, isDir bool) bool {
				return isDir && p != dir || !isDir && !files[p]
			},
			Debounce: watchDebounce(s.cfg.Debounce), MaxWait: watchMaxWait(s.cfg.MaxWait), Logger: s.log,
		}
		w, err := s.newSource(opts)
		if err != nil {
			s.log.Warn("watching env files failed; a change to them needs SIGHUP", "dir", dir, "err", err)
			continue
		}
		out := make(chan watcher.Batch)
		stop := s.start(ctx, w) // a hook's write to an env file is held too
		wg.Go(func() {
			s.forward(ctx, w, out)
			stop()
			w.Close()
		})
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case b := <-out:
					select {
					case s.restarts <- describeChange(b.First(), b.Count):
					default: // one is pending: it reads the files when it starts
					}
				}
			}
		})
	}
}
