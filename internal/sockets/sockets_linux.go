package sockets

import (
	"os"

	"golang.org/x/sys/unix"
)

// presetUnixMode sets the mode of an unbound unix socket. Linux creates the
// socket file at bind with this mode less the umask, so the file is never
// more open than mode, even before the chmod that follows the bind.
func presetUnixMode(fd int, mode os.FileMode) error {
	if err := unix.Fchmod(fd, uint32(mode.Perm())); err != nil {
		return os.NewSyscallError("fchmod", err)
	}
	return nil
}
