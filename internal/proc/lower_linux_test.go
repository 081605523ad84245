package proc

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// lowered runs, through RunGroup with low, a shell that starts a cat
// blocked on a fifo, and returns that cat's nice value and I/O priority,
// read while it runs: a child the command forks after its exec, as the go
// command forks compile and link.
func lowered(t *testing.T, low Lower) (nice, ioprio int) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "gate")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.CommandContext(context.Background(), "/bin/sh", "-c", `cat "$0" >/dev/null & echo $!; wait`, fifo)
	cmd.Stdout = w
	done := make(chan error, 1)
	go func() {
		err := RunGroup(nil, cmd, low)
		w.Close() // ends the read below if the command never wrote
		done <- err
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("read the pid of cat: %v (RunGroup: %v)", err, <-done)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("pid of cat: %q", line)
	}
	// Opening the fifo for writing returns once cat has it open: it runs.
	gate, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ReadStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if ioprio, err = IOPrio(pid); err != nil {
		t.Fatal(err)
	}
	gate.Close()
	if err := <-done; err != nil {
		t.Fatalf("RunGroup: %v", err)
	}
	return st.Nice, ioprio
}

func TestRunGroupLowersThePriorityOfTheWholeGroup(t *testing.T) {
	t.Parallel()
	shim, err := OpenShim("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shim.Close() })
	own, err := IOPrio(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	base, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	base = 20 - base // the raw syscall returns 20 - nice
	t.Run("nice 10", func(t *testing.T) {
		t.Parallel()
		nice, ioprio := lowered(t, Lower{Nice: 10, Shim: shim})
		if want := min(base+10, 19); nice != want {
			t.Errorf("nice of a child of the command = %d, want %d", nice, want)
		}
		if ioprio != IOPrioLowest {
			t.Errorf("I/O priority of a child of the command = %#x, want %#x (best-effort 7)", ioprio, IOPrioLowest)
		}
	})
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		nice, ioprio := lowered(t, Lower{Shim: shim})
		if nice != base || ioprio != own {
			t.Errorf("nice %d and I/O priority %#x, want the test's own %d and %#x", nice, ioprio, base, own)
		}
	})
}
