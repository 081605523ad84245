package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults used for zero values in [Options].
const (
	DefaultDebounce = 50 * time.Millisecond
	DefaultMaxWait  = 2 * time.Second

	// MaxBatchPaths is the maximum number of paths stored in [Batch.Paths].
	// [Batch.Count] always holds the true number of distinct changed paths.
	MaxBatchPaths = 100
)

// errorsBuffer is the capacity of the Errors channel. Errors that do not fit
// are logged and dropped, so that an unread Errors channel never stalls the
// watcher.
const errorsBuffer = 16

// DefaultExtensions returns the file extensions that count as changes when
// [Options.Extensions] is nil: ".go".
func DefaultExtensions() []string { return []string{".go"} }

// DefaultNames returns the exact file names that count as changes when
// [Options.Names] is nil: "go.mod" and "go.sum".
func DefaultNames() []string { return []string{"go.mod", "go.sum"} }

// DefaultSkipDirs returns the directory names that are never entered when
// [Options.SkipDirs] is nil: ".git", "vendor", "node_modules" and "testdata".
func DefaultSkipDirs() []string { return []string{".git", "vendor", "node_modules", "testdata"} }

// Errors returned or reported by the watcher. Errors are wrapped with
// context; test for them with [errors.Is].
var (
	// ErrClosed is returned by [Watcher.Run] when the Watcher was already
	// closed or has already run.
	ErrClosed = errors.New("watcher: closed")

	// ErrRunning is returned by [Watcher.Run] when Run is already running.
	ErrRunning = errors.New("watcher: already running")

	// ErrNotDir is returned by [New] when the root is not a directory.
	ErrNotDir = errors.New("watcher: root is not a directory")

	// ErrWatchLimit wraps the error from adding a watch when the per-user
	// inotify watch limit (sysctl fs.inotify.max_user_watches) is reached.
	// Linux only.
	ErrWatchLimit = errors.New("watcher: inotify watch limit reached")

	// ErrInstanceLimit wraps the error from creating the watcher when the
	// per-user inotify instance limit (sysctl fs.inotify.max_user_instances)
	// or the open-file limit is reached. Linux only.
	ErrInstanceLimit = errors.New("watcher: inotify instance limit reached")

	// ErrOverflow is reported on [Watcher.Errors] when the kernel event queue
	// overflowed and events were lost. The watcher recovers by rescanning
	// and adding the root to the next batch.
	ErrOverflow = errors.New("watcher: event queue overflow, some events were lost")

	// ErrRootRemoved is reported on [Watcher.Errors] when the root directory
	// itself is removed or renamed. No further changes will be seen.
	ErrRootRemoved = errors.New("watcher: root directory removed")
)

// Options configures a [Watcher]. The zero value watches the current
// directory for changes to Go source files, go.mod and go.sum.
//
// For the slice fields, nil means "use the default", while an empty non-nil
// slice means "none".
type Options struct {
	// Root is the directory to watch recursively. "" means ".". It is made
	// absolute, and all paths reported by the watcher (and passed to Ignore)
	// are absolute paths below it.
	Root string

	// Extensions lists the file extensions that count as changes, such as
	// ".go" or ".html". A missing leading dot is added. nil means
	// [DefaultExtensions].
	Extensions []string

	// Names lists exact file base names that count as changes. nil means
	// [DefaultNames].
	Names []string

	// SkipDirs lists directory base names that are never entered. nil means
	// [DefaultSkipDirs]. Hidden directories (names starting with ".") are
	// skipped as well.
	SkipDirs []string

	// IncludeTests makes files ending in "_test.go" count as changes.
	IncludeTests bool

	// AnyFile makes every file that is not hidden, a test file (unless
	// IncludeTests) or an editor's temporary file reach Ignore, whatever
	// its extension: Ignore alone then decides. false applies Extensions.
	AnyFile bool

	// Ignore, if not nil, is called for every directory about to be entered
	// (isDir true) and for every file that otherwise counts (isDir false),
	// with its absolute path; returning true excludes it. It is called from
	// one goroutine at a time, must be fast, and must not call Watcher
	// methods.
	Ignore func(path string, isDir bool) bool

	// Also, if not nil, makes a file count that Names, Extensions and
	// IncludeTests leave out: it is called with the file's absolute path.
	// Hidden files and editor temporaries never count, and Ignore still
	// applies. nil means no other file counts. The supervisor uses it for
	// the files of its rules (*.templ, *.sql) and browser assets. It is
	// called as Ignore is.
	Also func(path string) bool

	// Debounce is the quiet period after the last event before pending
	// changes are delivered; it restarts on every event. 0 means
	// [DefaultDebounce]; a negative value means no quiet period (changes are
	// delivered as soon as possible).
	Debounce time.Duration

	// MaxWait bounds the time from the first pending change to delivery
	// readiness, even if events keep arriving. 0 means [DefaultMaxWait]; a
	// negative value means no bound.
	MaxWait time.Duration

	// Logger receives debug and warning logs. nil discards them.
	Logger *slog.Logger
}

// Batch is a set of changes delivered by [Watcher.Changes].
type Batch struct {
	// Paths holds the distinct changed paths, in the order they were first
	// seen, capped at [MaxBatchPaths] entries.
	Paths []string
	// Count is the number of distinct changed paths, which may exceed
	// len(Paths).
	Count int
}

// First returns the first changed path, or "" if b is empty.
func (b Batch) First() string {
	if len(b.Paths) == 0 {
		return ""
	}
	return b.Paths[0]
}

// Lifecycle states of a Watcher.
const (
	stateIdle = iota
	stateRunning
	stateClosed
)

// Watcher watches a directory tree; see the package documentation.
type Watcher struct {
	cfg     config
	log     *slog.Logger
	fs      *fsnotify.Watcher
	changes chan Batch
	errs    chan error
	stop    chan struct{} // closed by Close to stop Run
	done    chan struct{} // closed when all resources are released

	mu       sync.Mutex // guards state and closeErr
	state    int
	closeErr error

	holds chan holdRequest // Hold's requests to Run's goroutine

	// Owned by New, then by the Run goroutine.
	dirs map[string]struct{} // watched directories
	sums contentSums         // the files that count, with their content
}

// New creates a Watcher for opts.Root. It walks the tree and adds a watch for
// every directory before returning, so that any change made after New
// returns is seen once [Watcher.Run] is running.
//
// It fails if the root cannot be watched or an OS watch limit is reached;
// other directories that cannot be read or watched are skipped, logged and
// reported on [Watcher.Errors].
func New(opts Options) (*Watcher, error) {
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
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, newWatcherError(err)
	}
	w := &Watcher{
		cfg:     cfg,
		log:     cfg.log,
		fs:      fw,
		changes: make(chan Batch),
		errs:    make(chan error, errorsBuffer),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		holds:   make(chan holdRequest),
		dirs:    make(map[string]struct{}),
		sums:    make(contentSums),
	}
	if err := w.walk(cfg.root, nil, true); err != nil {
		w.release()
		return nil, err
	}
	w.log.Debug("watcher: ready", "root", cfg.root, "dirs", len(w.dirs), "files", len(w.sums))
	return w, nil
}

// Root returns the absolute path of the watched directory.
func (w *Watcher) Root() string { return w.cfg.root }

// Changes returns the channel on which batches of changes are delivered. It
// is unbuffered: a batch is handed over only when the consumer is ready, and
// changes that arrive meanwhile are merged into it. The channel is closed when
// Run returns (or by Close if Run never ran).
func (w *Watcher) Changes() <-chan Batch { return w.changes }

// Errors returns the channel on which non-fatal errors are reported, such as
// a directory that could not be watched or [ErrOverflow]. Reading it is
// optional: it is buffered, and errors that do not fit are dropped (they are
// still logged). It is closed together with Changes.
func (w *Watcher) Errors() <-chan error { return w.errs }

// Run processes file system events and delivers batches on Changes until ctx
// is cancelled or Close is called, then releases all resources, closes the
// Changes and Errors channels and returns nil. Changes not yet delivered are
// discarded. A non-nil error means Run could not start ([ErrRunning],
// [ErrClosed]) or the underlying watcher failed.
func (w *Watcher) Run(ctx context.Context) error {
	w.mu.Lock()
	switch w.state {
	case stateRunning:
		w.mu.Unlock()
		return ErrRunning
	case stateClosed:
		w.mu.Unlock()
		return ErrClosed
	}
	w.state = stateRunning
	w.mu.Unlock()

	defer func() {
		w.mu.Lock()
		w.state = stateClosed
		w.mu.Unlock()
		w.release()
	}()
	return w.loop(ctx)
}

// Close stops Run, if it is running, and waits for it to return; otherwise it
// releases the resources held since New. It is safe to call more than once
// and from any goroutine; it returns the error from closing the OS watcher,
// if any.
func (w *Watcher) Close() error {
	w.mu.Lock()
	switch w.state {
	case stateIdle:
		w.state = stateClosed
		w.mu.Unlock()
		w.release()
	case stateRunning:
		w.state = stateClosed // a second Close must not close stop again
		close(w.stop)
		w.mu.Unlock()
		<-w.done
	default:
		w.mu.Unlock()
		<-w.done
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closeErr
}

// release closes the OS watcher and the channels. It runs exactly once, from
// Run's goroutine or from Close when Run never ran.
func (w *Watcher) release() {
	err := w.fs.Close()
	w.mu.Lock()
	if err != nil {
		w.closeErr = fmt.Errorf("watcher: close: %w", err)
	}
	w.mu.Unlock()
	close(w.changes)
	close(w.errs)
	close(w.done)
}

// report sends a non-fatal error on the Errors channel without blocking.
func (w *Watcher) report(err error) {
	w.log.Warn("watcher: error", "err", err)
	select {
	case w.errs <- err:
	default:
		w.log.Warn("watcher: errors channel full, error dropped", "err", err)
	}
}

// config is the normalised form of Options.
type config struct {
	root         string
	exts         map[string]bool
	names        map[string]bool
	skipDirs     map[string]bool
	includeTests bool
	anyFile      bool
	ignore       func(string, bool) bool
	also         func(string) bool
	debounce     time.Duration // >= 0
	maxWait      time.Duration // < 0 means unbounded
	log          *slog.Logger
}

func newConfig(o Options) (config, error) {
	root := o.Root
	if root == "" {
		root = "."
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return config{}, fmt.Errorf("watcher: root: %w", err)
	}
	c := config{
		root:         root,
		exts:         set(dotted(o.Extensions), DefaultExtensions),
		names:        set(o.Names, DefaultNames),
		skipDirs:     set(o.SkipDirs, DefaultSkipDirs),
		includeTests: o.IncludeTests,
		anyFile:      o.AnyFile,
		ignore:       o.Ignore,
		also:         o.Also,
		debounce:     o.Debounce,
		maxWait:      o.MaxWait,
		log:          o.Logger,
	}
	switch {
	case c.debounce == 0:
		c.debounce = DefaultDebounce
	case c.debounce < 0:
		c.debounce = 0
	}
	if c.maxWait == 0 {
		c.maxWait = DefaultMaxWait
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func set(s []string, def func() []string) map[string]bool {
	if s == nil {
		s = def()
	}
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

// dotted returns exts with a leading dot added where missing; nil stays nil.
func dotted(exts []string) []string {
	if exts == nil {
		return nil
	}
	out := make([]string, 0, len(exts))
	for _, e := range exts {
		if e != "" && e[0] != '.' {
			e = "." + e
		}
		out = append(out, e)
	}
	return out
}
