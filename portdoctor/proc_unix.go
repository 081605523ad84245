//go:build unix

package portdoctor

import (
	"errors"
	"fmt"
	"syscall"
)

// processGroup returns pid's process group, or 0 if it cannot be read.
func processGroup(pid int) int {
	pgid, err := syscall.Getpgid(pid)
	if err != nil {
		return 0
	}
	return pgid
}

// signalGroup sends sig to the process group pid leads, or to pid alone if
// it leads none. A process that is already gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	target := pid
	if processGroup(pid) == pid {
		target = -pid
	}
	if err := syscall.Kill(target, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("portdoctor: signal %v to %d: %w", sig, target, err)
	}
	return nil
}

func terminate(pid int) error { return signalGroup(pid, syscall.SIGTERM) }

func kill(pid int) error { return signalGroup(pid, syscall.SIGKILL) }
