package watcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestContentSums(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "a.go")
	big := filepath.Join(dir, "big.go")
	write(t, small, "package a\n")
	write(t, big, strings.Repeat("x", MaxHashSize+1))
	c := make(contentSums)
	c.seed(small)
	c.seed(big)
	if !c[small].hashed || c[big].hashed {
		t.Fatalf("hashed: small %v, big %v; want true, false", c[small].hashed, c[big].hashed)
	}
	steps := []struct {
		name string
		do   func()
		path string
		want bool
	}{
		{"same bytes", func() { write(t, small, "package a\n") }, small, false},
		{"other bytes", func() { write(t, small, "package b\n") }, small, true},
		{"back to the first bytes", func() { write(t, small, "package a\n") }, small, true},
		{"big file, same bytes", func() { write(t, big, strings.Repeat("x", MaxHashSize+1)) }, big, true},
		{"removed", func() { remove(t, small) }, small, true},
		{"gone and never seen", func() {}, filepath.Join(dir, "never.go"), false},
		{"new", func() { write(t, small, "package a\n") }, small, true},
	}
	for _, s := range steps {
		s.do()
		if got := c.changed(s.path); got != s.want {
			t.Errorf("%s: changed = %v, want %v", s.name, got, s.want)
		}
	}
}

// TestIdenticalRewrite rewrites files with the bytes they hold, in place
// and by a rename over them: no change. The edit of another file that
// follows is the batch's only path, so the rewrites were seen and dropped.
func TestIdenticalRewrite(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	a, b, c := filepath.Join(root, "a.go"), filepath.Join(root, "b.go"), filepath.Join(root, "c.go")
	write(t, a, "package a\n")
	write(t, b, "package a\n")
	write(t, c, "package a\n")
	w := start(t, Options{Root: root})
	write(t, a, "package a\n")
	write(t, filepath.Join(root, "b.go.tmp"), "package a\n")
	rename(t, filepath.Join(root, "b.go.tmp"), b)
	write(t, c, "package c\n")
	expectOnly(t, w, c)
	noErrors(t, w)
}

// TestHold writes files while held, as a generator would: they never
// count, not even when their events come after the release. A later edit
// of another file is delivered alone.
func TestHold(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	gen, other := filepath.Join(root, "gen.go"), filepath.Join(root, "other.go")
	write(t, gen, "package a // v1\n")
	write(t, other, "package a\n")
	w := start(t, Options{Root: root})
	release := w.Hold()
	write(t, gen, "package a // v2\n")
	write(t, filepath.Join(root, "sub", "new.go"), "package sub\n")
	release()
	release() // a second call does nothing
	write(t, other, "package a // edited\n")
	expectOnly(t, w, other)
	// The generator writing what it wrote before is no change either.
	write(t, gen, "package a // v2\n")
	write(t, other, "package a // edited again\n")
	expectOnly(t, w, other)
}

// TestHoldAfterRun: once Run returned, Hold and release do not block.
func TestHoldAfterRun(t *testing.T) {
	t.Parallel()
	w, err := New(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	w.Hold()()
}

func TestPollerIdenticalRewriteAndHold(t *testing.T) {
	t.Parallel()
	root := tempRoot(t)
	a, gen, other := filepath.Join(root, "a.go"), filepath.Join(root, "gen.go"), filepath.Join(root, "other.go")
	write(t, a, "package a\n")
	write(t, gen, "package a // v1\n")
	write(t, other, "package a\n")
	p, next := startPoller(t, Options{Root: root}, 5*time.Millisecond)
	only := func(path string) {
		t.Helper()
		if b := next(); b.Count != 1 || b.First() != path {
			t.Errorf("batch = %d %q, want only %s", b.Count, b.Paths, path)
		}
	}
	// A rewrite with the same bytes and a new modification time, then an
	// edit: the walk that sees the edit sees the rewrite or came before.
	write(t, a, "package a\n")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	write(t, other, "package a // edited\n")
	only(other)

	release := p.Hold() // no walk until release
	write(t, gen, "package a // v2\n")
	release()
	write(t, other, "package a // edited again\n")
	only(other)
}
