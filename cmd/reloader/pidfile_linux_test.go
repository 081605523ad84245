package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSleep starts a `sleep` that is not a reloader and reports how it
// ended once the test is done with it.
func startSleep(t *testing.T) (*exec.Cmd, func() syscall.Signal) {
	t.Helper()
	cmd := exec.Command("sleep", "120")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-waited })
	// ended kills it with SIGTERM unless it is gone already, and returns the
	// signal that ended it.
	ended := func() syscall.Signal {
		cmd.Process.Signal(syscall.SIGTERM)
		<-waited
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return ws.Signal()
	}
	return cmd, ended
}

// TestControlRefusesPIDStartedAfterPIDFile: the pid in a pid file written
// before that process started is a reused pid, never the reloader that
// wrote it.
func TestControlRefusesPIDStartedAfterPIDFile(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"reload", "upgrade"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "reloader.pid")
			sleep, ended := startSleep(t)
			write(t, pidFile, strconv.Itoa(sleep.Process.Pid)+"\n")
			old := time.Now().Add(-time.Hour) // written long before the sleep started
			if err := os.Chtimes(pidFile, old, old); err != nil {
				t.Fatal(err)
			}
			var out, errb strings.Builder
			code := runWithIO(t.Context(), []string{verb, "--pid-file", pidFile}, ioStreams{Out: &out, Err: &errb})
			if code == 0 {
				t.Errorf("reloader %s exit 0 with a stale pid file (%q); want a refusal", verb, out.String())
			}
			if !strings.Contains(errb.String(), "stale") {
				t.Errorf("stderr %q does not say the pid file is stale", errb.String())
			}
			if sig := ended(); sig != syscall.SIGTERM {
				t.Errorf("the process the stale pid file named was ended by %v, not left alone", sig)
			}
		})
	}
}

// TestControlRefusesPIDThatIsNotReloader: a pid file naming a process that
// is not `reloader serve` is never signalled.
func TestControlRefusesPIDThatIsNotReloader(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "reloader.pid")
	sleep, ended := startSleep(t)
	write(t, pidFile, strconv.Itoa(sleep.Process.Pid)+"\n") // written after it started
	var out, errb strings.Builder
	if code := runWithIO(t.Context(), []string{"reload", "--pid-file", pidFile}, ioStreams{Out: &out, Err: &errb}); code == 0 {
		t.Errorf("reloader reload exit 0 with a pid file naming sleep (%q); want a refusal", out.String())
	}
	if !strings.Contains(errb.String(), "not a reloader serve") {
		t.Errorf("stderr %q does not say the pid is not reloader serve", errb.String())
	}
	if sig := ended(); sig != syscall.SIGTERM {
		t.Errorf("sleep was ended by %v, not left alone", sig)
	}
}

// TestServePIDFileModeAndRemoval: the pid file is 0644, names reloader,
// works for `reloader reload`, and is gone after reloader exits.
func TestServePIDFileModeAndRemoval(t *testing.T) {
	t.Parallel()
	bin := buildServer(t, "orphaner")
	dir := t.TempDir()
	addr := freePort(t)
	pidFile := filepath.Join(dir, "reloader.pid")
	r := startReloader(t, dir, "serve", "-l", addr, "--pid-file", pidFile, "--", bin)
	_, next := r.waitEvent(0, "child_ready", 60*time.Second)
	_, next = r.waitEvent(next, "serve_ready", 60*time.Second)
	fi, err := os.Stat(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o644 {
		t.Errorf("pid file mode %v, want 0644", mode)
	}
	b, _ := os.ReadFile(pidFile)
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(r.cmd.Process.Pid) {
		t.Fatalf("pid file holds %q, want %d", got, r.cmd.Process.Pid)
	}
	var out, errb strings.Builder
	if code := runWithIO(t.Context(), []string{"reload", "--pid-file", pidFile}, ioStreams{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("reloader reload exit %d: %s", code, errb.String())
	}
	r.waitEvent(next, "child_ready", 60*time.Second) // the swap it asked for
	if code := r.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("reloader exit %d after SIGTERM", code)
	}
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file still there after reloader exited (stat: %v)", err)
	}
}
