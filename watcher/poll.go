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

// How a Poller lets a change settle before it delivers it.
const (
	settleDelay = 50 * time.Millisecond // between the walks that follow a change
	maxSettle   = 8                     // walks that find changes before delivery anyway
)

// Poller is a [Watcher] replacement for file systems that deliver no
// change notifications (network mounts, some container bind mounts,
// WSL's /mnt). Every interval it walks the tree with the same filters as a
// Watcher and compares each matching file's size and modification time
// with the previous walk; a file whose stamp changed is read again, and
// counts only if its bytes changed (or it is bigger than [MaxHashSize]).
// A walk that finds changes is followed by another one settleDelay later
// (or one interval, if shorter), and so on until a walk finds nothing new
// (at most maxSettle walks): then what differs from the last delivery is
// delivered as one [Batch]. So a file seen half-written is delivered once,
// whole, and one seen truncated and rewritten with its own bytes is not
// delivered at all. The interval takes the place of [Options.Debounce] and
// [Options.MaxWait], which are ignored.
//
// The methods behave as those of Watcher. Cost: one stat per matching file
// and one readdir per directory per interval, and a read of each file
// written.
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
	holds    chan holdRequest
	snap     map[string]fileSum // the last walk; owned by New, then by Run
	base     map[string]fileSum // what the last delivery was made against; owned by Run
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
		holds:    make(chan holdRequest),
	}
	p.snap = p.scan(nil)
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
	holds := 0
	p.base = p.snap
	var settle <-chan time.Time // armed while a change settles
	walks := 0                  // walks that found changes since the last delivery
	look := func() {
		next := p.scan(p.snap)
		changed := !diffSnapshots(p.snap, next).empty()
		p.snap = next
		if changed {
			walks++
			if walks < maxSettle {
				settle = time.After(min(settleDelay, p.interval))
				return
			}
		}
		if walks == 0 {
			return
		}
		cs := diffSnapshots(p.base, p.snap)
		p.base, walks, settle = p.snap, 0, nil
		if cs.empty() {
			return
		}
		if ready == nil {
			ready = cs
		} else {
			ready.merge(cs)
		}
	}
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
		case r := <-p.holds:
			switch {
			case r.hold:
				holds++
			case holds > 0:
				holds--
				if holds == 0 {
					// What the files hold now is their content; a change
					// settling before the hold is measured from it.
					p.snap = p.scan(p.snap)
					if walks == 0 {
						p.base = p.snap
					}
				}
			}
			close(r.done)
		case <-t.C:
			if holds > 0 || settle != nil {
				continue // the release takes what was written; a settle walk is due
			}
			look()
		case <-settle:
			settle = nil
			if holds == 0 {
				look()
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

// Hold makes the writes made until release is called not count; see
// [Watcher.Hold]. While held, the Poller does not walk; release walks and
// takes what the files hold as their content.
func (p *Poller) Hold() (release func()) {
	return holdOn(p.holds, p.done)
}

// scan stats every matching file under the root, and reads those that are
// new or whose stamp differs from old.
func (p *Poller) scan(old map[string]fileSum) map[string]fileSum {
	snap := map[string]fileSum{}
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
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if o, ok := old[path]; ok && o.sameStamp(stamp(fi)) {
			snap[path] = o
		} else if s, ok := sumFile(path); ok {
			snap[path] = s
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

// diffSnapshots returns the files added, removed, or modified from old to
// next (a rewrite with the same bytes is no change), in path order.
func diffSnapshots(old, next map[string]fileSum) *changeSet {
	var changed []string
	for path, st := range next {
		if o, ok := old[path]; !ok || !o.sameStamp(st) && !o.sameContent(st) {
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
