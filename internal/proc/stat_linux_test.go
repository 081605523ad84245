package proc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// The command may hold spaces and parentheses.
	st, err := parseStat("42 (a) b (c) Z 7 42 9 0 -1 4194560 0 0 0 0 0 0 0 0 30 10 1 0 12345 0 0")
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{State: 'Z', PPID: 7, PGID: 42, SID: 9, Nice: 10, Start: 123450 * time.Millisecond}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	if _, err := parseStat("42 (a) R 1"); err == nil {
		t.Error("a short stat line parsed")
	}
	self, err := ReadStat(os.Getpid())
	if err != nil || self.PPID != os.Getppid() {
		t.Errorf("ReadStat(self) = %+v, %v; want parent %d", self, err, os.Getppid())
	}
}

// A group whose process spins is runnable; one whose process sleeps is
// not, nor is a group that is gone.
func TestGroupRunnable(t *testing.T) {
	t.Parallel()
	start := func(script string) int {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	spin, sleep := start("while :; do :; done"), start("exec sleep 60")
	if !GroupRunnable(spin) {
		t.Error("a spinning shell's group is not runnable")
	}
	// The sleeper may still be starting at the first look: it must be
	// seen asleep within a few.
	asleep := false
	for range 100 {
		if asleep = !GroupRunnable(sleep); asleep {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling a process's state: no event to wait on
	}
	if !asleep {
		t.Error("a sleeping process's group stays runnable")
	}
	if GroupRunnable(1 << 30) {
		t.Error("a group that does not exist is runnable")
	}
}
