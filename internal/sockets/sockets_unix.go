//go:build unix

package sockets

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

func controlFunc(opts ListenOptions) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if serr == nil && opts.ReusePort && network != "unix" && network != "unixgram" {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}
			if serr == nil && opts.DualStack && network == "tcp6" {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0)
			}
			if serr == nil && (network == "unix" || network == "unixgram") {
				serr = presetUnixMode(int(fd), opts.unixMode())
			}
		})
		if err != nil {
			return err
		}
		if serr != nil {
			return os.NewSyscallError("setsockopt", serr)
		}
		return nil
	}
}

// dupFD duplicates the socket's fd without calling File() or Fd(), which
// would put the shared open file description into blocking mode under the
// feet of every child accepting on it.
func dupFD(sock any) (int, error) {
	sc, ok := sock.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("sockets: %T has no raw fd", sock)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 3)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", derr)
	}
	return nfd, nil
}

// setBlocking clears O_NONBLOCK on fd's open file description, which every
// holder of the socket shares: call it only while no child holds it.
func setBlocking(fd int) error {
	if err := unix.SetNonblock(fd, false); err != nil {
		return os.NewSyscallError("fcntl(F_SETFL)", err)
	}
	return nil
}

func closeFD(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// removeStaleUnixSocket removes a socket file that nothing listens on, so a
// crashed earlier run does not block the bind. A live socket is left alone
// and the bind then fails with EADDRINUSE.
func removeStaleUnixSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return nil // live: let the bind report EADDRINUSE
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return os.Remove(path)
	}
	return nil
}

// reusePortSet reports whether SO_REUSEPORT is set on fd.
func reusePortSet(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
	return err == nil && v != 0
}
