package supervisor

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// run13 is a real Supervisor running in the background for the tests of
// issue 13's process findings, with every event recorded.
type run13 struct {
	s      *Supervisor
	cancel context.CancelFunc
	done   chan error

	mu     sync.Mutex
	events []Event
	more   chan struct{} // closed and replaced on every event
}

// start13 runs cfg (its Logger discarded unless set) until the test ends.
func start13(t *testing.T, cfg Config) *run13 {
	t.Helper()
	r := &run13{done: make(chan error, 1), more: make(chan struct{})}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.OnEvent = func(ev Event) {
		r.mu.Lock()
		r.events = append(r.events, ev)
		close(r.more)
		r.more = make(chan struct{})
		r.mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r.s, r.cancel = s, cancel
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop cancels Run and waits for it to return.
func (r *run13) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return a minute after its context was cancelled")
	}
	r.done <- nil // for Cleanup
}

// waitFor returns the first event of type E after the first skip of them
// that ok accepts, waiting up to a minute for it.
func waitFor[E Event](t *testing.T, r *run13, ok func(E) bool) E {
	t.Helper()
	deadline := time.After(time.Minute)
	seen := 0
	for {
		r.mu.Lock()
		evs, more := r.events[seen:], r.more
		seen = len(r.events)
		r.mu.Unlock()
		for _, ev := range evs {
			if e, is := ev.(E); is && (ok == nil || ok(e)) {
				return e
			}
		}
		select {
		case <-more:
		case <-deadline:
			var zero E
			t.Fatalf("no %s event within a minute; events: %v", zero.Name(), r.names())
		}
	}
}

// has reports whether an event of type E was recorded.
func has[E Event](r *run13) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if _, ok := ev.(E); ok {
			return true
		}
	}
	return false
}

func (r *run13) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, ev.Name())
	}
	return out
}

// writeScript writes an executable shell script into dir.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Under a wrapper (`sh -c './app; echo'`) the wrapper dies at once on the
// stop signal; the app in its group still gets its whole graceful stop:
// the group is waited for up to stop_timeout before it is killed.
func TestStopWaitsForWrapperGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeScript(t, dir, "app.sh", `
trap 'echo term >> log; sleep 0.5; echo drained >> log; exit 0' TERM
echo started > started.fifo
while :; do sleep 1; done
`)
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.Command = []string{"sh", "-c", "./app.sh; echo wrapper-done >> log"}
	cfg.Ready, cfg.ReadyDelay = ReadyDelay, 100*time.Millisecond
	cfg.StopTimeout = 30 * time.Second
	fifo := mkfifo(t, filepath.Join(dir, "started.fifo"))
	r := start13(t, cfg)
	waitFor[ChildReady](t, r, nil)
	readLine(t, fifo) // the app runs its loop, its TERM trap set
	start := time.Now()
	r.stop(t)
	took := time.Since(start)
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	log := string(b)
	if !strings.Contains(log, "term") || !strings.Contains(log, "drained") {
		t.Errorf("app log %q after stop (%v): want term and drained, the app's whole graceful stop", log, took)
	}
	if has[Killed](r) {
		t.Errorf("a killed event: the group was killed though it ended within stop_timeout; events %v", r.names())
	}
	if took >= cfg.StopTimeout {
		t.Errorf("stop took %v, want less than stop_timeout %v", took, cfg.StopTimeout)
	}
}

// mkfifo makes a named pipe at path and returns path.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readLine opens the named pipe at path, which blocks until a writer opens
// it, and returns the first line written.
func readLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.TrimSpace(line)
}

// systemd-notify --ready in a `set -e` shell child: it exits 0 at once (its
// BARRIER=1 is answered), the child is ready via notify and keeps running.
func TestSystemdNotifyReadyInSetEShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skip("no systemd-notify (Debian package systemd)")
	}
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "sent.fifo"))
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.Command = []string{"sh", "-c", "set -e; systemd-notify --ready; echo sent > sent.fifo; exec sleep 1000"}
	cfg.Ready, cfg.ReadyTimeout = ReadyNotify, time.Minute
	r := start13(t, cfg)
	if ev := waitFor[ChildReady](t, r, nil); ev.Via != "notify" {
		t.Errorf("child ready via %q, want notify", ev.Via)
	}
	got := make(chan string, 1)
	go func() { got <- readLine(t, fifo) }()
	select {
	case line := <-got:
		if line != "sent" {
			t.Errorf("the child wrote %q, want sent", line)
		}
	case <-r.crashed(t):
		t.Errorf("the child exited: systemd-notify --ready failed under set -e; events %v", r.names())
	}
	if has[Crashed](r) {
		t.Errorf("the child crashed; events %v", r.names())
	}
	r.stop(t)
}

// crashed returns a channel closed on the first crashed event.
func (r *run13) crashed(t *testing.T) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		for {
			r.mu.Lock()
			more := r.more
			r.mu.Unlock()
			if has[Crashed](r) {
				close(ch)
				return
			}
			select {
			case <-more:
			case <-t.Context().Done():
				return
			}
		}
	}()
	return ch
}
