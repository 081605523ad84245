package watcher

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
