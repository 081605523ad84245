//go:build !unix && !windows

package listenfd

import (
	"errors"
	"os"
	"syscall"
)

// Platforms other than Unix and Windows (js, wasip1, plan9) behave like
// Windows: no inherited descriptors and no readiness notification.
const fdsSupported = false

var errUnsupported = errors.New("listenfd: inherited sockets are not supported on this platform")

func inspectFD(fd int, name string) *inherited {
	return &inherited{fd: fd, name: name, err: &FDError{FD: fd, Name: name, Err: errUnsupported}}
}

func (in *inherited) dup() (*os.File, error) { return nil, errUnsupported }

func sendNotify(socket, state string) error { return nil }

func bindControl(network, address string, c syscall.RawConn) error { return nil }
