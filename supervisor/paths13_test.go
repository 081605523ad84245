//go:build unix

package supervisor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// events13 collects Config.OnEvent events for a test to wait on.
type events13 struct {
	t  *testing.T
	ch chan Event
}

func newEvents13(t *testing.T) *events13 {
	return &events13{t: t, ch: make(chan Event, 4096)}
}

func (e *events13) on(ev Event) {
	select {
	case e.ch <- ev:
	default:
		e.t.Errorf("event buffer full; dropped %s", ev.Name())
	}
}

// wait returns the first event from now on for which match is true. The
// timer only guards a failing test against hanging.
func (e *events13) wait(what string, match func(Event) bool) Event {
	e.t.Helper()
	guard := time.NewTimer(90 * time.Second)
	defer guard.Stop()
	for {
		select {
		case ev := <-e.ch:
			if match(ev) {
				return ev
			}
		case <-guard.C:
			e.t.Fatalf("no %s event", what)
		}
	}
}

// startSup13 starts a supervisor with cfg and stops it when the test ends.
func startSup13(t *testing.T, cfg Config) *Supervisor {
	t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

// TestResolveUsesRunDir checks issue 13, finding 18b: a relative command
// is looked up in run.dir, where the exec shim runs it, not in Dir.
func TestResolveUsesRunDir(t *testing.T) {
	t.Parallel()
	dir, runDir := t.TempDir(), t.TempDir()
	s := &Supervisor{dir: dir, cfg: Config{RunDir: runDir}}
	for argv0, want := range map[string]string{
		"./app":   filepath.Join(runDir, "app"),
		"bin/app": filepath.Join(runDir, "bin", "app"),
		"/x/app":  "/x/app",
	} {
		if got := s.resolve(argv0); got != want {
			t.Errorf("resolve(%q) = %q, want %q", argv0, got, want)
		}
	}
	s.cfg.RunDir = ""
	if got, want := s.resolve("./app"), filepath.Join(dir, "app"); got != want {
		t.Errorf("without run.dir, resolve(./app) = %q, want %q", got, want)
	}
}

// TestWatchBinaryInRunDir checks issue 13, finding 18b with a real child:
// `serve --run-dir D --watch-binary -- ./app` watches D/app and swaps when
// it is replaced.
func TestWatchBinaryInRunDir(t *testing.T) {
	t.Parallel()
	dir, runDir := t.TempDir(), t.TempDir()
	app := filepath.Join(runDir, "app")
	writeScript13(t, app, "#!/bin/sh\nexec sleep 300\n")
	ev := newEvents13(t)
	cfg := config(func(c *Config) {
		c.Command = []string{"./app"}
		c.Dir, c.RunDir = dir, runDir
		c.WatchBinary = true
		c.Ready, c.ReadyDelay = ReadyDelay, 0
		c.StopTimeout = time.Second
		c.Logger = slog.New(slog.DiscardHandler)
		c.OnEvent = ev.on
	})
	startSup13(t, cfg)
	w := ev.wait("watching", func(e Event) bool { _, ok := e.(Watching); return ok }).(Watching)
	if w.Root != runDir {
		t.Errorf("watching %s, want run.dir %s", w.Root, runDir)
	}
	ev.wait("child_ready", func(e Event) bool { _, ok := e.(ChildReady); return ok })
	// A deploy: a new file renamed into place.
	writeScript13(t, app+".new", "#!/bin/sh\n# v2\nexec sleep 300\n")
	if err := os.Rename(app+".new", app); err != nil {
		t.Fatal(err)
	}
	ev.wait("swapped", func(e Event) bool { _, ok := e.(Swapped); return ok })
}

func writeScript13(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}
