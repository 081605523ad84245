//go:build linux && (386 || s390x)

package proc

import "golang.org/x/sys/unix"

// acceptCalls holds accept4 only: accept on this architecture goes
// through socketcall, which does not show which call it makes.
var acceptCalls = []int64{unix.SYS_ACCEPT4}
