package watcher

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"
)

func TestPollerSeesEdits(t *testing.T) {
	root := t.TempDir()
	mustWrite := func(rel, s string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite("main.go", "package main\n")
	mustWrite("vendor/x/x.go", "package x\n")
	_, next := startPoller(t, Options{Root: root}, 10*time.Millisecond)
	mustWrite("notes.txt", "ignored\n")
	mustWrite("vendor/x/x.go", "package x // skipped dir\n")
	mustWrite("main.go", "package main // edited, longer\n")
	if b := next(); b.Count != 1 || b.First() != filepath.Join(root, "main.go") {
		t.Errorf("edit: got %+v", b)
	}
	mustWrite("pkg/new.go", "package pkg\n")
	if b := next(); b.First() != filepath.Join(root, "pkg", "new.go") {
		t.Errorf("new file: got %+v", b)
	}
	if err := os.Remove(filepath.Join(root, "main.go")); err != nil {
		t.Fatal(err)
	}
	if b := next(); b.First() != filepath.Join(root, "main.go") {
		t.Errorf("removal: got %+v", b)
	}
}

func TestPollerCloseBeforeRun(t *testing.T) {
	p, err := NewPoller(Options{Root: t.TempDir()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := p.Run(context.Background()); err != ErrClosed {
		t.Errorf("Run after Close: %v, want ErrClosed", err)
	}
	if _, ok := <-p.Changes(); ok {
		t.Error("Changes open after Close")
	}
}

// A walk that lands while a file is half-written (truncated, not yet
// written again) delivers nothing until the file settles: rewritten with
// its own bytes, nothing at all; with new bytes, one batch of the whole
// file. The walks run on synctest's clock over real files.
func TestPollerWaitsForWritesToSettle(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		root := t.TempDir()
		write := func(path, s string) {
			t.Helper()
			if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// walk lets the next walk (every second) and the settle walks
		// after it run.
		walk := func() {
			time.Sleep(time.Second + time.Millisecond)
			synctest.Wait()
		}
		main := filepath.Join(root, "main.go")
		orig := "package main\n\nfunc main() {}\n"
		write(main, orig)
		poller, err := NewPoller(Options{Root: root}, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- poller.Run(ctx) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		next := func() (Batch, bool) {
			select {
			case b := <-poller.Changes():
				return b, true
			default:
				return Batch{}, false
			}
		}

		write(main, "") // truncated, as os.WriteFile does first
		walk()
		write(main, orig)
		walk()
		if b, ok := next(); ok {
			t.Errorf("a rewrite with the same bytes, seen half-written, delivered %+v", b)
		}

		other := filepath.Join(root, "other.go")
		write(other, "")
		walk()
		write(other, "package main\n")
		walk()
		b, ok := next()
		if !ok || b.Count != 1 || b.First() != other {
			t.Errorf("a new file seen half-written: delivered %+v (%v), want one batch of %s", b, ok, other)
		}
		if b, ok := next(); ok {
			t.Errorf("a second batch: %+v", b)
		}
	})
}
