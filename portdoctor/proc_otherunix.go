//go:build unix && !linux && !darwin

package portdoctor

import (
	"errors"
	"syscall"
)

// procStart reports whether pid exists; the start time is unknown (0) on
// this platform, so a reused pid cannot be told apart.
func procStart(pid int) (start uint64, running bool) {
	if pid <= 0 {
		return 0, false
	}
	err := syscall.Kill(pid, 0)
	return 0, err == nil || errors.Is(err, syscall.EPERM)
}
