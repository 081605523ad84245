package watcher

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkNew measures watch setup over a generated tree of 100 directories
// holding 10 files each, against a plain filepath.WalkDir over the same tree
// as the baseline: New's cost on top of the walk is the cost of adding the
// watches (one inotify_add_watch per directory on Linux).
func BenchmarkNew(b *testing.B) {
	root := b.TempDir()
	const dirs, files = 100, 10
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("pkg%02d", d/10), fmt.Sprintf("sub%d", d%10))
		for f := range files {
			write(b, filepath.Join(dir, fmt.Sprintf("f%d.go", f)), "package sub\n")
		}
	}

	b.Run("WalkDir", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					n++
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != dirs+dirs/10+1 {
				b.Fatalf("walked %d dirs", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(dirs+dirs/10+1), "µs/dir")
	})

	b.Run("New", func(b *testing.B) {
		for b.Loop() {
			w, err := New(Options{Root: root})
			if err != nil {
				b.Fatal(err)
			}
			if len(w.dirs) != dirs+dirs/10+1 {
				b.Fatalf("watching %d dirs", len(w.dirs))
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(dirs+dirs/10+1), "µs/dir")
	})
}

// BenchmarkContentSums measures what the content hashes cost: the heap
// they hold per watched file (a path of about 60 bytes here), and the
// rescan that ends a Hold, per file of a tree of 1,000 files.
func BenchmarkContentSums(b *testing.B) {
	root := b.TempDir()
	const dirs, files = 100, 10
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("pkg%02d", d/10), fmt.Sprintf("sub%d", d%10))
		for f := range files {
			write(b, filepath.Join(dir, fmt.Sprintf("f%d.go", f)), "package sub\n")
		}
	}
	cfg, err := newConfig(Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("heap", func(b *testing.B) {
		var perFile float64
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			c := make(contentSums)
			c.rescan(&cfg)
			runtime.GC()
			runtime.ReadMemStats(&after)
			if len(c) != dirs*files {
				b.Fatalf("%d files", len(c))
			}
			perFile = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(c))
			runtime.KeepAlive(c)
		}
		b.ReportMetric(perFile, "B/file")
	})
	b.Run("rescan", func(b *testing.B) {
		c := make(contentSums)
		c.rescan(&cfg)
		for b.Loop() {
			c.rescan(&cfg)
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(dirs*files), "µs/file")
	})
}
