//go:build unix

package proc

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// SignalGroup sends sig to the process group pgid. A group that is already
// gone is not an error.
func SignalGroup(pgid int, sig os.Signal) error {
	return kill(-pgid, sig)
}

// KillGroup sends SIGKILL to the process group pgid. A group that is
// already gone is not an error.
func KillGroup(pgid int) error { return SignalGroup(pgid, syscall.SIGKILL) }

// SignalLeader sends sig to the process group pid leads, or to pid alone
// if it leads none. A process that is already gone is not an error.
func SignalLeader(pid int, sig os.Signal) error {
	if Group(pid) == pid {
		return kill(-pid, sig)
	}
	return kill(pid, sig)
}

// Group returns pid's process group, or 0 if it cannot be read.
func Group(pid int) int {
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		return 0
	}
	return pgid
}

// kill is kill(2) of target (a pid, or a negated process group), with
// ESRCH (already gone) not an error.
func kill(target int, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("proc: signal %v is not a Unix signal", sig)
	}
	if err := syscall.Kill(target, s); err != nil && !errors.Is(err, syscall.ESRCH) {
		if target < 0 {
			return fmt.Errorf("proc: signal %v to process group %d: %w", sig, -target, err)
		}
		return fmt.Errorf("proc: signal %v to pid %d: %w", sig, target, err)
	}
	return nil
}

// WaitGroupGone waits until no process is left in process group pgid, at
// most timeout, and reports whether none is. The kernel offers no event for
// that, so it polls.
func WaitGroupGone(pgid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
