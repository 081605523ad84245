package watcher

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOverflow overflows the inotify queue by making more changes than
// fs.inotify.max_queued_events before Run starts reading them.
func TestOverflow(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/fs/inotify/max_queued_events")
	if err != nil {
		t.Skip(err)
	}
	limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || limit > 100_000 {
		t.Skipf("max_queued_events = %q", b)
	}

	root := tempRoot(t)
	w, err := New(Options{Root: root, Debounce: testDebounce})
	if err != nil {
		t.Fatal(err)
	}
	// Alternate between two files, as the kernel merges identical
	// consecutive events; each write then yields one event.
	var files [2]*os.File
	for i := range files {
		files[i], err = os.Create(filepath.Join(root, "f"+strconv.Itoa(i)+".go"))
		if err != nil {
			t.Fatal(err)
		}
		defer files[i].Close()
	}
	// fsnotify's reader may take up to 4096 events off the queue (one read
	// into its buffer) before it blocks on the unread Events channel, so
	// write that many more than the limit, whenever it gets to run.
	for i := range limit + 4096 + 1000 {
		if _, err := files[i%2].Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
	}
	newDir := filepath.Join(root, "late")
	write(t, filepath.Join(newDir, "x.go"), "package late\n") // its Create is lost

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitPath(t, w, root) // root in a batch means "anything may have changed"
	select {
	case err := <-w.Errors():
		if !errors.Is(err, ErrOverflow) {
			t.Fatalf("error = %v, want ErrOverflow", err)
		}
	case <-time.After(batchTimeout):
		t.Fatal("no error reported")
	}

	// The rescan watches directories whose creation was lost.
	f := filepath.Join(newDir, "y.go")
	write(t, f, "package late\n")
	waitPath(t, w, f)
}
