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
		cfg  Config
		want error
	}{
		{"root watch", Config{Command: []string{"true"}, Watch: true, WatchRoot: "/"}, ErrConfig},
		{"home watch", Config{Command: []string{"true"}, Watch: true, WatchRoot: home}, ErrConfig},
		{"missing go run target", Config{Command: []string{"go", "run", "./nope"}, Dir: dir}, ErrBadGoRun},
		{"missing go run file", Config{Command: []string{"go", "run", "main.go"}, Dir: dir}, ErrBadGoRun},
		{"missing binary", Config{Command: []string{"./nope"}, Dir: dir}, ErrConfig},
		{"build with go run", Config{Command: []string{"go", "run", "."}, Build: []string{"make"}, Dir: dir}, ErrConfig},
		{"poll interval", Config{Command: []string{"true"}, PollInterval: -time.Second}, ErrConfig},
	} {
		s, err := New(context.Background(), tt.cfg)
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: New: %v, want %v", tt.name, err, tt.want)
		}
	}
	s, err := New(context.Background(), Config{Command: []string{"true"}, Watch: true, WatchRoot: "/", WatchForce: true})
	if err != nil {
		t.Fatalf("forced root watch: %v", err)
	}
	s.Close()
}

func TestZeroDurationsAreExplicit(t *testing.T) {
	c, err := Config{Command: []string{"x"}, StopTimeout: -1, ReadyDelay: -1, ReadyTimeout: -1, Debounce: -1}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.StopTimeout != 0 || c.ReadyDelay != 0 || c.ReadyTimeout != noLimit || c.Debounce != -1 {
		t.Errorf("explicit zeros became stop=%v delay=%v timeout=%v debounce=%v", c.StopTimeout, c.ReadyDelay, c.ReadyTimeout, c.Debounce)
	}
	d, err := Config{Command: []string{"x"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if d.StopTimeout != 5*time.Second || d.ReadyDelay != 500*time.Millisecond || d.ReadyTimeout != 30*time.Second || d.PollInterval != 500*time.Millisecond {
		t.Errorf("defaults: %+v", d)
	}
}

func TestZeroStopTimeoutKillsAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{StopTimeout: -1, Ready: ReadyNotify})
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
