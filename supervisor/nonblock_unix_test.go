//go:build unix

package supervisor

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// nonblocking reports whether the socket's open file description has
// O_NONBLOCK.
func nonblocking(c syscall.Conn) (bool, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return false, err
	}
	var fl int
	var ferr error
	if err := rc.Control(func(fd uintptr) { fl, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
		return false, err
	}
	if ferr != nil {
		return false, ferr
	}
	return fl&unix.O_NONBLOCK != 0, nil
}
