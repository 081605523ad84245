package watcher

import (
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestMatchFile(t *testing.T) {
	c, err := newConfig(Options{Root: "/src"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want bool
	}{
		{"main.go", true},
		{"go.mod", true},
		{"go.sum", true},
		{"main_test.go", false},
		{"go.work", false},
		{"README.md", false},
		{"Makefile", false},
		{".main.go", false},
		{".main.go.swp", false},
		{".main.go.swo", false},
		{"main.go.swx", false},
		{"main.go~", false},
		{".#main.go", false},
		{"4913", false},
		{"main.go___jb_tmp___", false},
		{"main.go___jb_old___", false},
		{"main.go.12345", false}, // gofmt -w backup
	}
	for _, tt := range tests {
		if got := c.matchFile(filepath.Join(c.root, tt.name), tt.name); got != tt.want {
			t.Errorf("matchFile(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}

	c.includeTests = true
	if !c.matchFile("/src/main_test.go", "main_test.go") {
		t.Error("IncludeTests: main_test.go does not match")
	}
	c.ignore = func(path string, isDir bool) bool { return !isDir && path == "/src/gen.go" }
	if c.matchFile("/src/gen.go", "gen.go") {
		t.Error("Ignore: gen.go matches")
	}
}

// Also lets through files the extension rule leaves out, but never hidden
// files or editor temporaries, and Ignore still applies.
func TestMatchFileAlso(t *testing.T) {
	c, err := newConfig(Options{Root: "/src", Also: func(path string) bool { return filepath.Dir(path) == "/src/static" }})
	if err != nil {
		t.Fatal(err)
	}
	c.ignore = func(path string, isDir bool) bool { return path == "/src/static/gone.css" }
	for path, want := range map[string]bool{
		"/src/static/app.css":     true,
		"/src/static/logo.png":    true,
		"/src/other/app.css":      false,
		"/src/static/.app.css":    false,
		"/src/static/app.css~":    false,
		"/src/static/gone.css":    false,
		"/src/static/main.go":     true,
		"/src/static/x_test.go":   true,
		"/src/other/main_test.go": false,
	} {
		if got := c.matchFile(path, filepath.Base(path)); got != want {
			t.Errorf("matchFile(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestSkipDir(t *testing.T) {
	c, err := newConfig(Options{Root: "/src/.work"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{".git", "vendor", "node_modules", "testdata", ".idea", ".reloader"} {
		if !c.skipDir(filepath.Join(c.root, name), name) {
			t.Errorf("skipDir(%q) = false", name)
		}
	}
	for _, name := range []string{"cmd", "internal", "pkg"} {
		if c.skipDir(filepath.Join(c.root, name), name) {
			t.Errorf("skipDir(%q) = true", name)
		}
	}
	if c.skipDir(c.root, ".work") {
		t.Error("a hidden root is skipped")
	}

	c, _ = newConfig(Options{Root: "/src", SkipDirs: []string{}})
	if c.skipDir("/src/vendor", "vendor") {
		t.Error("empty SkipDirs: vendor skipped")
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := newConfig(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(c.root) || c.debounce != DefaultDebounce || c.maxWait != DefaultMaxWait || c.log == nil {
		t.Errorf("zero Options: root=%q debounce=%v maxWait=%v", c.root, c.debounce, c.maxWait)
	}
	c, _ = newConfig(Options{Debounce: -1, MaxWait: -1, Extensions: []string{"html", ".css"}})
	if c.debounce != 0 || c.maxWait >= 0 {
		t.Errorf("negative durations: debounce=%v maxWait=%v", c.debounce, c.maxWait)
	}
	if !c.exts[".html"] || !c.exts[".css"] || c.exts[".go"] {
		t.Errorf("extensions = %v", c.exts)
	}
	c, _ = newConfig(Options{Names: []string{}})
	if len(c.names) != 0 {
		t.Errorf("empty Names: %v", c.names)
	}
}

func TestChangeSet(t *testing.T) {
	a, b := newChangeSet(), newChangeSet()
	if !a.empty() || a.batch().First() != "" {
		t.Fatal("new set not empty")
	}
	for i := range 150 {
		a.add("a" + strconv.Itoa(i))
		a.add("a" + strconv.Itoa(i))
	}
	b.add("b")
	b.add("a0")
	if a.first.IsZero() || time.Since(a.first) > time.Minute {
		t.Errorf("first = %v", a.first)
	}
	b.merge(a)
	got := b.batch()
	if got.Count != 151 || len(got.Paths) != MaxBatchPaths || got.First() != "b" || got.Paths[1] != "a0" || got.Paths[2] != "a1" {
		t.Fatalf("merged: count=%d len=%d first=%q", got.Count, len(got.Paths), got.Paths[:3])
	}
	if !slices.Equal(got.Paths[1:], a.batch().Paths[:MaxBatchPaths-1]) {
		t.Error("merged paths out of order")
	}
}

func TestIsWithin(t *testing.T) {
	sep := string(filepath.Separator)
	for _, tt := range []struct {
		path, dir string
		want      bool
	}{
		{sep + "a", sep + "a", true},
		{sep + "a" + sep + "b", sep + "a", true},
		{sep + "ab", sep + "a", false},
		{sep + "a", sep, true},
	} {
		if got := isWithin(tt.path, tt.dir); got != tt.want {
			t.Errorf("isWithin(%q, %q) = %v", tt.path, tt.dir, got)
		}
	}
}
