package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/logline"
)

// The exec shim is the reloader binary opened once at start: after the file
// on disk is replaced (an upgrade, go install) or removed, the next swaps
// still start the app through the shim that is running, which hands it its
// socket at fd 3 with LISTEN_PID set to the app's own pid.
func TestSwapAfterReloaderBinaryReplacedOrRemoved(t *testing.T) {
	t.Parallel()
	bindir, dir := t.TempDir(), t.TempDir()
	bin := copyReloader(t, bindir)
	fifo := filepath.Join(dir, "gen.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "app.sh"), `s=nosocket; [ -S /proc/$$/fd/3 ] && s=socket
echo "$$ ${LISTEN_PID:-none} $s" > gen.fifo
exec sleep 1000
`)
	r := startReloaderAt(t, bin, dir, nil, "--watch=false", "-l", "127.0.0.1:0", "--ready", "delay", "--ready-delay", "50ms",
		"--stop-timeout", "5s", "--", "sh", "app.sh")
	defer r.stop(syscall.SIGTERM)
	// Each generation writes one line to the fifo; read them as they come.
	// The test holds the fifo open for writing too, so that a writer
	// closing it never reads as an end of file between two generations.
	ff, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ff.Close()
	gens := make(chan string, 8)
	go func() {
		br := bufio.NewReader(ff)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			gens <- strings.TrimSpace(line)
		}
	}()
	from := 0
	expectGen := func(what string) {
		t.Helper()
		done, quit := make(chan struct{}), make(chan struct{})
		defer close(quit)
		go func() { // fail fast if the start fails instead
			defer close(done)
			isFailed := func(line string) bool { return logline.Is(line, "start_failed") }
			if line, _, err := r.next(from, isFailed, quit, time.Minute); err == nil {
				t.Errorf("%s: %s", what, line)
			}
		}()
		select {
		case line := <-gens:
			f := strings.Fields(line)
			if len(f) != 3 || f[1] != f[0] || f[2] != "socket" {
				t.Errorf("%s: the app printed %q, want its pid as LISTEN_PID and a socket at fd 3", what, line)
			}
			pid, _ := strconv.Atoi(f[0])
			newPid := "new_pid=" + strconv.Itoa(pid) + " "
			_, next, err := r.next(from, func(line string) bool { return strings.Contains(line, newPid) }, nil, time.Minute)
			if err != nil {
				t.Fatalf("%s: no swap to pid %d", what, pid)
			}
			from = next
		case <-done:
			t.FailNow()
		}
	}
	expectGen("first start")

	// Replaced, as go install or an upgrade does: a new file renamed over it.
	next := filepath.Join(bindir, "reloader.new")
	if err := os.WriteFile(next, []byte("#!/bin/sh\necho not the shim >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, bin); err != nil {
		t.Fatal(err)
	}
	r.cmd.Process.Signal(syscall.SIGHUP)
	expectGen("swap after the binary was replaced")

	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	r.cmd.Process.Signal(syscall.SIGHUP)
	expectGen("swap after the binary was removed")
}
