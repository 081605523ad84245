package listenfd

import (
	"errors"
	"os"
	"syscall"
)

// fdsSupported reports whether descriptors are inherited on this platform.
// Windows has no LISTEN_FDS-style handle inheritance: Listen always binds,
// Listeners and Files return nil, and readiness notification is a no-op.
const fdsSupported = false

var errUnsupported = errors.New("listenfd: inherited sockets are not supported on windows")

func inspectFD(fd int, name string) *inherited {
	return &inherited{fd: fd, name: name, err: &FDError{FD: fd, Name: name, Err: errUnsupported}}
}

func (in *inherited) dup() (*os.File, error) { return nil, errUnsupported }

// sendNotify does nothing on Windows.
func sendNotify(socket, state string) error { return nil }

// bindControl does nothing on Windows: SO_REUSEADDR there allows stealing a
// port that is in use, so Go deliberately does not set it.
func bindControl(network, address string, c syscall.RawConn) error { return nil }
