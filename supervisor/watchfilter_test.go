package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPathFilter(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte("# built\n/tmp/\n*.gen.go\n!keep.gen.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := newPathFilter(root, []string{"**/*.go", "go.mod"}, []string{"assets/**", "**/mock_*.go"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rel   string
		isDir bool
		want  bool
	}{
		{"main.go", false, false},
		{"cmd/api/main.go", false, false},
		{"go.mod", false, false},
		{"README.md", false, true},         // not included
		{"tmp", true, true},                // .gitignore /tmp/
		{"sub/tmp", true, false},           // anchored
		{"x/y.gen.go", false, true},        // .gitignore *.gen.go
		{"x/keep.gen.go", false, false},    // negated
		{"assets", true, true},             // exclude assets/**
		{"pkg/mock_store.go", false, true}, // exclude **/mock_*.go
		{"pkg", true, false},
	} {
		if got := f.ignore(filepath.Join(root, filepath.FromSlash(tt.rel)), tt.isDir); got != tt.want {
			t.Errorf("ignore(%s, dir=%v) = %v, want %v", tt.rel, tt.isDir, got, tt.want)
		}
	}
	if _, err := newPathFilter(root, nil, []string{"a/[b"}, false); !errors.Is(err, ErrConfig) {
		t.Errorf("bad glob: %v, want ErrConfig", err)
	}
	if f, _ := newPathFilter(t.TempDir(), nil, nil, false); f != nil {
		t.Error("a filter with nothing to do is not nil")
	}
}

func TestNewRejects(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		set  func(c *Config)
		want error
	}{
		{"root watch", func(c *Config) { c.Command, c.Watch, c.WatchRoot = []string{"true"}, true, "/" }, ErrConfig},
		{"home watch", func(c *Config) { c.Command, c.Watch, c.WatchRoot = []string{"true"}, true, home }, ErrConfig},
		{"missing go run target", func(c *Config) { c.Command, c.Dir = []string{"go", "run", "./nope"}, dir }, ErrBadGoRun},
		{"missing go run file", func(c *Config) { c.Command, c.Dir = []string{"go", "run", "main.go"}, dir }, ErrBadGoRun},
		{"missing binary", func(c *Config) { c.Command, c.Dir = []string{"./nope"}, dir }, ErrConfig},
		{"build with go run", func(c *Config) { c.Command, c.Build, c.Dir = []string{"go", "run", "."}, []string{"make"}, dir }, ErrConfig},
		{"poll interval", func(c *Config) { c.Command, c.PollInterval = []string{"true"}, -time.Second }, ErrConfig},
	} {
		s, err := New(context.Background(), config(tt.set))
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: New: %v, want %v", tt.name, err, tt.want)
		}
	}
	s, err := New(context.Background(), config(func(c *Config) {
		c.Command, c.Watch, c.WatchRoot, c.WatchForce = []string{"true"}, true, "/", true
	}))
	if err != nil {
		t.Fatalf("forced root watch: %v", err)
	}
	s.Close()
}

// TestZeroDurationsAreExplicit: a zero duration stays zero (it is never
// replaced by a default), NoLimit stays no limit, and DefaultConfig holds
// the documented defaults.
func TestZeroDurationsAreExplicit(t *testing.T) {
	c, err := config(func(c *Config) {
		c.Command, c.StopTimeout, c.ReadyDelay, c.ReadyTimeout, c.Debounce = []string{"x"}, 0, 0, NoLimit, 0
	}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.StopTimeout != 0 || c.ReadyDelay != 0 || c.ReadyTimeout != NoLimit || c.Debounce != 0 || watchDebounce(c.Debounce) >= 0 {
		t.Errorf("explicit zeros became stop=%v delay=%v timeout=%v debounce=%v", c.StopTimeout, c.ReadyDelay, c.ReadyTimeout, c.Debounce)
	}
	d, err := config(func(c *Config) { c.Command = []string{"x"} }).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if d.StopTimeout != 5*time.Second || d.ReadyDelay != 500*time.Millisecond || d.ReadyTimeout != 30*time.Second || d.PollInterval != 500*time.Millisecond {
		t.Errorf("defaults: %+v", d)
	}
}

func TestZeroStopTimeoutKillsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config(func(c *Config) { c.StopTimeout, c.Ready = 0, ReadyNotify }))
	h.waitReady()
	h.setMode("stubborn")
	h.s.Reload("test")
	h.waitReady()
	h.log.event(t, &h.logFrom, "child_exited") // the first, serving child
	h.setMode("serve")
	h.s.Reload("test")
	h.waitReady()
	stopping := h.log.event(t, &h.logFrom, "stopping")
	if stopping["timeout"] != "0s" {
		t.Errorf("stop timeout %q, want 0s", stopping["timeout"])
	}
	exited := h.log.event(t, &h.logFrom, "child_exited")
	if exited["status"] != "signal: killed" {
		t.Errorf("stubborn child status %q, want killed", exited["status"])
	}
}
