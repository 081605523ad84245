//go:build windows

package proc

import (
	"os"
	"syscall"
	"time"
)

// SignalGroup kills the process pgid: Windows cannot deliver other signals
// to a group. A process that is already gone is not an error.
func SignalGroup(pgid int, _ os.Signal) error {
	p, err := os.FindProcess(pgid)
	if err != nil {
		return nil
	}
	return p.Kill()
}

// KillGroup kills the process pgid.
func KillGroup(pgid int) error { return SignalGroup(pgid, os.Kill) }

// SignalLeader kills the process pid.
func SignalLeader(pid int, sig os.Signal) error { return SignalGroup(pid, sig) }

// Group returns 0: Windows process groups cannot be read.
func Group(int) int { return 0 }

// WaitGroupGone returns true: Windows children have exited once Wait
// returns.
func WaitGroupGone(int, time.Duration) bool { return true }

// GroupAttr returns nil: builds and hooks stay in the console's group, so
// Ctrl-C reaches them as it reaches reloader.
func GroupAttr() *syscall.SysProcAttr { return nil }
