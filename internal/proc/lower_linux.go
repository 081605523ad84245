//go:build linux

package proc

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// I/O priorities of ioprio_set(2), from linux/ioprio.h.
const (
	ioprioWhoProcess = 1
	ioprioWhoPgrp    = 2
	ioprioClassBE    = 2
	ioprioClassShift = 13
	// IOPrioLowest is the I/O priority a lowered build runs at: the lowest
	// level (7) of the best-effort class. Not the idle class, which gets
	// the disk only when no one else uses it and can stall a build for as
	// long as anything else reads or writes.
	IOPrioLowest = ioprioClassBE<<ioprioClassShift | 7
)

// lowerSelf sets the nice value and the I/O priority of every thread of the
// caller's process group: the shim's, whose group is its own.
func lowerSelf(nice int) error {
	if err := unix.Setpriority(unix.PRIO_PGRP, 0, nice); err != nil {
		return fmt.Errorf("setpriority(PRIO_PGRP, %d): %w", nice, err)
	}
	if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoPgrp, 0, IOPrioLowest); e != 0 {
		return fmt.Errorf("ioprio_set(IOPRIO_WHO_PGRP, best-effort 7): %w", e)
	}
	return nil
}

// IOPrio returns the I/O priority of process pid (ioprio_get(2)): class <<
// 13 | level, as IOPrioLowest; 0 is the default, none set.
func IOPrio(pid int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, uintptr(pid), 0)
	if e != 0 {
		return 0, fmt.Errorf("proc: ioprio_get of pid %d: %w", pid, e)
	}
	return int(r), nil
}
