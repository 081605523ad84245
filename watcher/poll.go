package watcher

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// DefaultPollInterval is used by [NewPoller] for an interval <= 0.
const DefaultPollInterval = 500 * time.Millisecond

// Poller is a [Watcher] replacement for file systems that deliver no
// change notifications (network mounts, some container bind mounts,
// WSL's /mnt). Every interval it walks the tree with the same filters as a
// Watcher and compares each matching file's size and modification time
// with the previous walk. A change (new, modified or removed file) seen by
// one walk is delivered as one [Batch]; the interval takes the place of
// [Options.Debounce] and [Options.MaxWait], which are ignored.
//
// The methods behave as those of Watcher. Cost: one stat per matching file
// and one readdir per directory per interval.
type Poller struct {
	cfg      config
	interval time.Duration
	changes  chan Batch
	errs     chan error
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	started  bool
	snap     map[string]fileStamp // owned by New, then by Run
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// NewPoller takes a first snapshot of opts.Root and returns a Poller that
// walks it every interval once Run is called. interval <= 0 means
// [DefaultPollInterval].
func NewPoller(opts Options, interval time.Duration) (*Poller, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(cfg.root)
	if err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s", ErrNotDir, cfg.root)
	}
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	p := &Poller{
		cfg:      cfg,
		interval: interval,
		changes:  make(chan Batch),
		errs:     make(chan error, errorsBuffer),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	p.snap = p.scan()
	return p, nil
}

// Root returns the absolute path of the watched directory.
func (p *Poller) Root() string { return p.cfg.root }

// Changes returns the channel on which batches are delivered; see
// [Watcher.Changes].
func (p *Poller) Changes() <-chan Batch { return p.changes }

// Errors returns the channel of non-fatal errors; see [Watcher.Errors].
func (p *Poller) Errors() <-chan error { return p.errs }

// Run walks the tree every interval until ctx is cancelled or Close is
// called, then closes the channels and returns nil. It returns [ErrRunning]
// or [ErrClosed] if it cannot start.
func (p *Poller) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		select {
		case <-p.done:
			return ErrClosed
		default:
			return ErrRunning
		}
	}
	p.started = true
	p.mu.Unlock()
	defer func() {
		close(p.changes)
		close(p.errs)
		close(p.done)
	}()
	select {
	case <-p.stop:
		return ErrClosed
	default:
	}
	t := time.NewTicker(p.interval)
	defer t.Stop()
	var ready *changeSet
	for {
		var out chan<- Batch
		var batch Batch
		if ready != nil {
			out, batch = p.changes, ready.batch()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.stop:
			return nil
		case out <- batch:
			ready = nil
		case <-t.C:
			next := p.scan()
			cs := diffSnapshots(p.snap, next)
			p.snap = next
			if cs.empty() {
				continue
			}
			if ready == nil {
				ready = cs
			} else {
				ready.merge(cs)
			}
		}
	}
}

// Close stops Run and waits for it to return, or releases the Poller if Run
// never ran. It is safe to call more than once.
func (p *Poller) Close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	started := p.started
	p.started = true
	p.mu.Unlock()
	if !started {
		close(p.changes)
		close(p.errs)
		close(p.done)
	}
	<-p.done
	return nil
}

// scan stats every matching file under the root.
func (p *Poller) scan() map[string]fileStamp {
	snap := map[string]fileStamp{}
	filepath.WalkDir(p.cfg.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != p.cfg.root {
				p.report(fmt.Errorf("watcher: poll: %w", err))
			}
			return nil
		}
		if d.IsDir() {
			if p.cfg.skipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !p.cfg.matchFile(path, d.Name()) {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			snap[path] = fileStamp{size: fi.Size(), mod: fi.ModTime()}
		}
		return nil
	})
	return snap
}

// report sends a non-fatal error without blocking.
func (p *Poller) report(err error) {
	p.cfg.log.Warn("watcher: error", "err", err)
	select {
	case p.errs <- err:
	default:
	}
}

// diffSnapshots returns the files added, modified or removed from old to
// next, in path order.
func diffSnapshots(old, next map[string]fileStamp) *changeSet {
	var changed []string
	for path, st := range next {
		if o, ok := old[path]; !ok || o.size != st.size || !o.mod.Equal(st.mod) {
			changed = append(changed, path)
		}
	}
	for path := range old {
		if _, ok := next[path]; !ok {
			changed = append(changed, path)
		}
	}
	slices.Sort(changed)
	cs := newChangeSet()
	for _, path := range changed {
		cs.add(path)
	}
	return cs
}
