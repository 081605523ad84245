package supervisor

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// systemd-notify --ready in a `set -e` shell child: it exits 0 at once (its
// BARRIER=1 is answered), the child is ready via notify and keeps running.
func TestSystemdNotifyReadyInSetEShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skip("no systemd-notify (Debian package systemd)")
	}
	dir := t.TempDir()
	fifo := mkfifo(t, filepath.Join(dir, "sent.fifo"))
	cfg := config(func(c *Config) {
		c.Dir = dir
		c.Command = []string{"sh", "-c", "set -e; systemd-notify --ready; echo sent > sent.fifo; exec sleep 1000"}
		c.Ready, c.ReadyTimeout = ReadyNotify, time.Minute
	})
	h := newHarness(t, cfg)
	if ev := waitFor[ChildReady](t, h, nil); ev.Via != "notify" {
		t.Errorf("child ready via %q, want notify", ev.Via)
	}
	got := make(chan string, 1)
	go func() { got <- readLine(t, fifo) }()
	select {
	case line := <-got:
		if line != "sent" {
			t.Errorf("the child wrote %q, want sent", line)
		}
	case <-h.crashed(t):
		t.Errorf("the child exited: systemd-notify --ready failed under set -e; events %v", h.names())
	}
	if has[Crashed](h) {
		t.Errorf("the child crashed; events %v", h.names())
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
