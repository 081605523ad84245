package watcher

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestNestedEdit(t *testing.T) {
	root := tempRoot(t)
	f := filepath.Join(root, "a", "b", "c", "x.go")
	write(t, f, "package c\n")
	w := start(t, Options{Root: root})

	write(t, f, "package c // edited\n")
	expectOnly(t, w, f)
	expectNoBatch(t, w)
	noErrors(t, w)
}

func TestNewDirectory(t *testing.T) {
	root := tempRoot(t)
	w := start(t, Options{Root: root})

	// Created in quick succession: the file may exist before the watch on
	// its directory does, and must be found by walking the new directory.
	f := filepath.Join(root, "new", "deeper", "y.go")
	write(t, f, "package deeper\n")
	waitPath(t, w, f)

	// The new directories are watched too.
	g := filepath.Join(root, "new", "deeper", "z.go")
	write(t, g, "package deeper\n")
	expectOnly(t, w, g)
	noErrors(t, w)
}

func TestMoveDirectoryIn(t *testing.T) {
	root := tempRoot(t)
	outside := t.TempDir()
	f := filepath.Join(outside, "pkg", "sub", "a.go")
	write(t, f, "package sub\n")
	w := start(t, Options{Root: root})

	rename(t, filepath.Join(outside, "pkg"), filepath.Join(root, "pkg"))
	moved := filepath.Join(root, "pkg", "sub", "a.go")
	expectOnly(t, w, moved)

	write(t, moved, "package sub // edited\n")
	expectOnly(t, w, moved)
	checkWatches(t, w, root, filepath.Join(root, "pkg"), filepath.Join(root, "pkg", "sub"))
}

func TestRenameDirectory(t *testing.T) {
	root := tempRoot(t)
	write(t, filepath.Join(root, "old", "a.go"), "package old\n")
	write(t, filepath.Join(root, "old", "sub", "b.go"), "package sub\n")
	w := start(t, Options{Root: root})

	rename(t, filepath.Join(root, "old"), filepath.Join(root, "new"))
	b := waitBatch(t, w)
	want := []string{
		filepath.Join(root, "old"), // gone from the build
		filepath.Join(root, "new", "a.go"),
		filepath.Join(root, "new", "sub", "b.go"),
	}
	for _, p := range want {
		if !slices.Contains(b.Paths, p) {
			t.Errorf("batch %q lacks %s", b.Paths, p)
		}
	}

	// Events below the renamed directory carry the new names.
	f := filepath.Join(root, "new", "sub", "b.go")
	write(t, f, "package sub // edited\n")
	expectOnly(t, w, f)
	checkWatches(t, w, root, filepath.Join(root, "new"), filepath.Join(root, "new", "sub"))
	noErrors(t, w)
}

func TestRenameSave(t *testing.T) {
	tests := []struct {
		name string
		save func(t *testing.T, path string)
	}{
		{"vim", func(t *testing.T, path string) {
			// vim probes with 4913, moves the original to a backup,
			// writes a new file and removes the backup.
			probe := filepath.Join(filepath.Dir(path), "4913")
			write(t, probe, "")
			remove(t, probe)
			rename(t, path, path+"~")
			write(t, path, "package main // vim\n")
			remove(t, path+"~")
		}},
		{"jetbrains", func(t *testing.T, path string) {
			write(t, path+"___jb_tmp___", "package main // jb\n")
			rename(t, path, path+"___jb_old___")
			rename(t, path+"___jb_tmp___", path)
			remove(t, path+"___jb_old___")
		}},
		{"temp-and-rename", func(t *testing.T, path string) {
			// As gopls/gofmt-on-save and most "atomic save" modes do.
			tmp := filepath.Join(filepath.Dir(path), ".main.go.tmp123")
			write(t, tmp, "package main // atomic\n")
			rename(t, tmp, path)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tempRoot(t)
			f := filepath.Join(root, "cmd", "main.go")
			write(t, f, "package main\n")
			w := start(t, Options{Root: root})

			tt.save(t, f)
			expectOnly(t, w, f)
			expectNoBatch(t, w)
		})
	}
}

func TestNotChanges(t *testing.T) {
	root := tempRoot(t)
	f := filepath.Join(root, "x.go")
	write(t, f, "package x\n")
	write(t, filepath.Join(root, ".git", "HEAD"), "ref: refs/heads/main\n")
	write(t, filepath.Join(root, "vendor", "m", "m.go"), "package m\n")
	write(t, filepath.Join(root, "out", "gen.go"), "package out\n")
	out := filepath.Join(root, "out")
	w := start(t, Options{Root: root, Ignore: func(path string, isDir bool) bool {
		return isDir && path == out
	}})

	// Attribute changes.
	if err := os.Chmod(f, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(f, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	// Files that never count.
	for _, name := range []string{
		"x_test.go", ".x.go.swp", "x.go~", ".#x.go", "4913", "notes.txt",
		"x.go___jb_tmp___", ".hidden.go",
	} {
		write(t, filepath.Join(root, name), "package x\n")
	}
	// Directories that are never entered, old and new.
	write(t, filepath.Join(root, ".git", "x.go"), "package x\n")
	write(t, filepath.Join(root, "vendor", "m", "m.go"), "package m // edited\n")
	write(t, filepath.Join(root, "out", "gen.go"), "package out // edited\n")
	write(t, filepath.Join(root, "node_modules", "p", "p.go"), "package p\n")
	write(t, filepath.Join(root, "testdata", "t.go"), "package t\n")
	write(t, filepath.Join(root, ".cache", "c.go"), "package c\n")
	// An empty new directory.
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	expectNoBatch(t, w)
	noErrors(t, w)

	// Still alive, and none of the above was merely delayed.
	write(t, f, "package x // edited\n")
	expectOnly(t, w, f)
}

func TestIncludeTestsAndNames(t *testing.T) {
	root := tempRoot(t)
	w := start(t, Options{
		Root:         root,
		IncludeTests: true,
		Extensions:   []string{"go", ".tmpl"},
		Names:        []string{".env"},
	})
	want := []string{
		filepath.Join(root, "x_test.go"),
		filepath.Join(root, "page.tmpl"),
		filepath.Join(root, ".env"),
	}
	for _, p := range want {
		write(t, p, "x\n")
	}
	write(t, filepath.Join(root, "go.mod"), "module x\n") // Names replaced the default
	expectOnly(t, w, want...)
}

func TestRemoveAndRecreateDirectory(t *testing.T) {
	root := tempRoot(t)
	dir := filepath.Join(root, "pkg")
	a := filepath.Join(dir, "a.go")
	write(t, a, "package pkg\n")
	write(t, filepath.Join(dir, "sub", "s.go"), "package sub\n")
	w := start(t, Options{Root: root})

	remove(t, dir)
	waitPath(t, w, a)

	b := filepath.Join(dir, "sub", "b.go")
	write(t, b, "package sub\n")
	waitPath(t, w, b)

	write(t, b, "package sub // edited\n")
	expectOnly(t, w, b)

	// Again without pausing between removal and recreation.
	remove(t, dir)
	write(t, a, "package pkg // again\n")
	waitPath(t, w, a)
	write(t, a, "package pkg // edited again\n")
	expectOnly(t, w, a)
	checkWatches(t, w, root, dir)
	noErrors(t, w)
}

func TestBurst(t *testing.T) {
	const n = 5000
	root := tempRoot(t)
	// The quiet period must outlast any scheduling hiccup of the writer,
	// and MaxWait the whole burst.
	w := start(t, Options{Root: root, Debounce: 500 * time.Millisecond, MaxWait: time.Minute})

	dir := filepath.Join(root, "burst") // created during the burst
	start := time.Now()
	for i := range n {
		write(t, filepath.Join(dir, fmt.Sprintf("f%04d.go", i)), "package burst\n")
	}
	t.Logf("wrote %d files in %v", n, time.Since(start))

	b := waitBatchFor(t, w, 30*time.Second)
	if b.Count != n || len(b.Paths) != MaxBatchPaths {
		t.Fatalf("batch count=%d len(paths)=%d, want %d and %d", b.Count, len(b.Paths), n, MaxBatchPaths)
	}
	expectNoBatch(t, w)
	noErrors(t, w)
}

func TestSlowConsumerMerges(t *testing.T) {
	root := tempRoot(t)
	a := filepath.Join(root, "a.go")
	b := filepath.Join(root, "b.go")
	w := start(t, Options{Root: root})

	// Nobody reads Changes while these happen; the first batch becomes
	// ready and the second is merged into it.
	const ready = 4 * testDebounce // long enough for a batch to become ready
	write(t, a, "package x\n")
	time.Sleep(ready)
	write(t, b, "package x\n")
	time.Sleep(ready)
	write(t, a, "package x // again\n")
	time.Sleep(ready)

	expectOnly(t, w, a, b)
	expectNoBatch(t, w)
}

func TestMaxWait(t *testing.T) {
	root := tempRoot(t)
	f := filepath.Join(root, "a.go")
	w := start(t, Options{Root: root, Debounce: time.Hour, MaxWait: 100 * time.Millisecond})
	write(t, f, "package x\n")
	expectOnly(t, w, f)
}

func TestMaxWaitWhileBusy(t *testing.T) {
	root := tempRoot(t)
	f := filepath.Join(root, "a.go")
	w := start(t, Options{Root: root, Debounce: 200 * time.Millisecond, MaxWait: 300 * time.Millisecond})

	// Keep the tree busy for much longer than MaxWait.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			os.WriteFile(f, []byte(fmt.Sprint(i)), 0o644)
		}
	}()
	defer func() { close(stop); <-done }()

	begin := time.Now()
	b := waitBatch(t, w)
	if elapsed := time.Since(begin); b.First() != f || elapsed > 3*time.Second {
		t.Fatalf("batch %q after %v", b.Paths, elapsed)
	}
}

func TestRootRemoved(t *testing.T) {
	root := tempRoot(t)
	w := start(t, Options{Root: root})
	remove(t, root)
	waitPath(t, w, root)
	select {
	case err := <-w.Errors():
		if !errors.Is(err, ErrRootRemoved) {
			t.Fatalf("error = %v, want ErrRootRemoved", err)
		}
	case <-time.After(batchTimeout):
		t.Fatal("no error reported")
	}
}

func TestNewErrors(t *testing.T) {
	root := tempRoot(t)
	if _, err := New(Options{Root: filepath.Join(root, "missing")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing root: err = %v, want fs.ErrNotExist", err)
	}
	f := filepath.Join(root, "file.go")
	write(t, f, "package x\n")
	if _, err := New(Options{Root: f}); !errors.Is(err, ErrNotDir) {
		t.Errorf("file root: err = %v, want ErrNotDir", err)
	}
}

func TestLifecycle(t *testing.T) {
	root := tempRoot(t)

	t.Run("close-without-run", func(t *testing.T) {
		w, err := New(Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Run(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run after Close = %v, want ErrClosed", err)
		}
		if _, ok := <-w.Changes(); ok {
			t.Fatal("Changes not closed")
		}
		if _, ok := <-w.Errors(); ok {
			t.Fatal("Errors not closed")
		}
	})

	t.Run("close-stops-run", func(t *testing.T) {
		w, err := New(Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- w.Run(context.Background()) }()
		for !w.runningForTest() {
			time.Sleep(time.Millisecond)
		}
		if err := w.Run(context.Background()); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Run = %v, want ErrRunning", err)
		}
		write(t, filepath.Join(root, "pending.go"), "package x\n") // undelivered at Close
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		for range w.Changes() { // must be closed; may hold nothing or one batch
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Run(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Run after Run = %v, want ErrClosed", err)
		}
	})

	t.Run("cancel-stops-run", func(t *testing.T) {
		w, err := New(Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := w.Run(ctx); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if _, ok := <-w.Changes(); ok {
			t.Fatal("Changes not closed")
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
