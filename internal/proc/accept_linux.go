//go:build linux && !386 && !s390x

package proc

import "golang.org/x/sys/unix"

// acceptCalls are the syscall numbers of accept and accept4 on this
// architecture, as /proc/PID/task/TID/syscall shows them.
var acceptCalls = []int64{unix.SYS_ACCEPT, unix.SYS_ACCEPT4}
