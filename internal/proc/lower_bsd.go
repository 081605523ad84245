//go:build unix && !linux

package proc

import (
	"fmt"
	"syscall"
)

// lowerSelf sets the nice value of the caller's process group: the shim's,
// whose group is its own. These systems have no I/O priority to lower.
func lowerSelf(nice int) error {
	if err := syscall.Setpriority(syscall.PRIO_PGRP, 0, nice); err != nil {
		return fmt.Errorf("setpriority(PRIO_PGRP, %d): %w", nice, err)
	}
	return nil
}
