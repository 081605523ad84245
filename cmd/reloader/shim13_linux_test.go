package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logWatch collects a process's output lines and lets a test wait for one.
type logWatch struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced on every line
}

func watchLog(r io.Reader) *logWatch {
	w := &logWatch{more: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			w.mu.Lock()
			w.lines = append(w.lines, sc.Text())
			close(w.more)
			w.more = make(chan struct{})
			w.mu.Unlock()
		}
	}()
	return w
}

// next returns the index and text of the first line at or after from that
// contains one of subs, waiting up to d or until quit is closed.
func (w *logWatch) next(from int, quit <-chan struct{}, d time.Duration, subs ...string) (int, string, bool) {
	deadline := time.After(d)
	for {
		w.mu.Lock()
		lines, more := w.lines, w.more
		w.mu.Unlock()
		for i := from; i < len(lines); i++ {
			for _, s := range subs {
				if strings.Contains(lines[i], s) {
					return i, lines[i], true
				}
			}
		}
		select {
		case <-more:
		case <-deadline:
			return 0, "", false
		case <-quit:
			return 0, "", false
		}
	}
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

func copyExecutable(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// The exec shim is the reloader binary opened once at start: after the file
// on disk is replaced (an upgrade, go install) or removed, the next swaps
// still start the app through the shim that is running, which hands it its
// socket at fd 3 with LISTEN_PID set to the app's own pid.
func TestSwapAfterReloaderBinaryReplacedOrRemoved(t *testing.T) {
	t.Parallel()
	bindir, dir := t.TempDir(), t.TempDir()
	bin := filepath.Join(bindir, "reloader")
	copyExecutable(t, reloaderBin, bin)
	fifo := filepath.Join(dir, "gen.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "app.sh"), `s=nosocket; [ -S /proc/$$/fd/3 ] && s=socket
echo "$$ ${LISTEN_PID:-none} $s" > gen.fifo
exec sleep 1000
`)
	cmd := exec.Command(bin, "--watch=false", "-l", "127.0.0.1:0", "--ready", "delay", "--ready-delay", "50ms",
		"--stop-timeout", "5s", "--", "sh", "app.sh")
	cmd.Dir = dir
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	log := watchLog(pr)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("reloader output:\n%s", log)
		}
	}()
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
			if _, line, ok := log.next(from, quit, time.Minute, "event=start_failed"); ok {
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
			i, _, ok := log.next(from, nil, time.Minute, "new_pid="+strconv.Itoa(pid)+" ")
			if !ok {
				t.Fatalf("%s: no swap to pid %d", what, pid)
			}
			from = i + 1
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
	cmd.Process.Signal(syscall.SIGHUP)
	expectGen("swap after the binary was replaced")

	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	expectGen("swap after the binary was removed")
}
