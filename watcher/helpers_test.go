package watcher

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const (
	// testDebounce is the debounce used by most tests.
	testDebounce = 50 * time.Millisecond
	// batchTimeout bounds every wait for an expected batch. It is generous:
	// a passing test never waits this long.
	batchTimeout = 20 * time.Second
	// quietWait is how long a test waits to conclude that no batch is coming.
	// This negative check is inherently time-based: it cannot prove that a
	// batch will never arrive, only that none arrived well after the
	// debounce period (10x) would have delivered it. Keep such waits few.
	quietWait = 10 * testDebounce
)

// start creates a Watcher for opts (Root must be set), runs it until the test
// ends, and checks that Run returns nil.
func start(t *testing.T, opts Options) *Watcher {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = testDebounce
	}
	if opts.Logger == nil {
		level := slog.LevelWarn
		if os.Getenv("WATCHER_TEST_DEBUG") != "" {
			level = slog.LevelDebug
		}
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
	}
	w, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return w
}

// waitBatch waits for the next batch.
func waitBatch(t *testing.T, w *Watcher) Batch {
	t.Helper()
	return waitBatchFor(t, w, batchTimeout)
}

func waitBatchFor(t *testing.T, w *Watcher, timeout time.Duration) Batch {
	t.Helper()
	select {
	case b, ok := <-w.Changes():
		if !ok {
			t.Fatal("Changes closed")
		}
		logBatch(t, b)
		return b
	case <-time.After(timeout):
		t.Fatalf("no batch within %v", timeout)
		return Batch{}
	}
}

// waitPath waits for batches until one contains path, and returns the
// batches received.
func waitPath(t *testing.T, w *Watcher, path string) []Batch {
	t.Helper()
	var got []Batch
	deadline := time.After(batchTimeout)
	for {
		select {
		case b := <-w.Changes():
			logBatch(t, b)
			got = append(got, b)
			if slices.Contains(b.Paths, path) {
				return got
			}
		case <-deadline:
			t.Fatalf("%s not seen within %v; got %v", path, batchTimeout, got)
		}
	}
}

// expectNoBatch fails if a batch arrives within quietWait.
func expectNoBatch(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case b := <-w.Changes():
		t.Fatalf("unexpected batch: count=%d paths=%q", b.Count, b.Paths)
	case <-time.After(quietWait):
	}
}

// expectOnly waits for one batch and checks that it holds exactly paths.
func expectOnly(t *testing.T, w *Watcher, paths ...string) {
	t.Helper()
	b := waitBatch(t, w)
	if b.Count != len(paths) || !slices.Equal(b.Paths, paths) {
		t.Fatalf("batch = count %d %q, want %q", b.Count, b.Paths, paths)
	}
}

// noErrors fails if an error was reported on w.Errors.
func noErrors(t *testing.T, w *Watcher) {
	t.Helper()
	select {
	case err := <-w.Errors():
		t.Fatalf("unexpected error: %v", err)
	default:
	}
}

// write creates or truncates the file at path (and its directories).
func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// tempRoot returns a fresh, absolute, symlink-free directory, so that the
// paths the watcher reports can be compared with paths built by the test.
func tempRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runningForTest reports whether Run has started.
func (w *Watcher) runningForTest() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state == stateRunning
}

func logBatch(t *testing.T, b Batch) {
	t.Helper()
	const show = 5
	if len(b.Paths) > show {
		t.Logf("batch: count=%d paths=%q...", b.Count, b.Paths[:show])
		return
	}
	t.Logf("batch: count=%d paths=%q", b.Count, b.Paths)
}

// checkWatches checks that exactly the directories dirs are watched. Call it
// after a batch that follows the last directory operation, so that all
// earlier events have been processed.
func checkWatches(t *testing.T, w *Watcher, dirs ...string) {
	t.Helper()
	got := w.fs.WatchList()
	slices.Sort(got)
	slices.Sort(dirs)
	if !slices.Equal(got, dirs) {
		t.Errorf("watching %q, want %q", got, dirs)
	}
}

// startPoller runs a Poller over opts every interval until the test ends,
// and returns a function that waits for its next batch.
func startPoller(t *testing.T, opts Options, interval time.Duration) (*Poller, func() Batch) {
	t.Helper()
	p, err := NewPoller(opts, interval)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p, func() Batch {
		t.Helper()
		select {
		case b := <-p.Changes():
			return b
		case <-time.After(batchTimeout):
			t.Fatalf("no batch within %v", batchTimeout)
		}
		return Batch{}
	}
}
