//go:build unix

package listenfd

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// fdsSupported reports whether descriptors are inherited on this platform.
const fdsSupported = true

// inspectFD checks that fd is an open socket, sets FD_CLOEXEC on it so that
// this process's children do not inherit it, and records its type and local
// address. It never changes the descriptor's blocking mode.
func inspectFD(fd int, name string) *inherited {
	in := &inherited{fd: fd, name: name}
	fail := func(err error) *inherited {
		in.err = &FDError{FD: fd, Name: name, Err: err}
		return in
	}

	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		// Most likely EBADF: LISTEN_FDS promised more descriptors than
		// were passed. Do not wrap the number in an *os.File, it may be
		// reused by an unrelated open later.
		return fail(os.NewSyscallError("fstat", err))
	}
	syscall.CloseOnExec(fd)
	if uint32(st.Mode)&syscall.S_IFMT != syscall.S_IFSOCK {
		return fail(ErrNotSocket)
	}
	sotype, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		return fail(os.NewSyscallError("getsockopt", err))
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail(os.NewSyscallError("getsockname", err))
	}
	in.stream = sotype == syscall.SOCK_STREAM || sotype == syscall.SOCK_SEQPACKET
	in.addr = sockaddrToAddr(sa, sotype)
	// os.NewFile leaves a non-blocking descriptor non-blocking, and its Fd
	// method (used by net.FileListener) does not switch it to blocking.
	// in.file lives as long as the process (proc references it), so its
	// finalizer never closes the descriptor.
	in.file = os.NewFile(uintptr(fd), name)
	return in
}

func sockaddrToAddr(sa syscall.Sockaddr, sotype int) net.Addr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		ip := make(net.IP, net.IPv4len)
		copy(ip, sa.Addr[:])
		if sotype == syscall.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: sa.Port}
		}
		return &net.TCPAddr{IP: ip, Port: sa.Port}
	case *syscall.SockaddrInet6:
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		zone := ""
		if sa.ZoneId != 0 {
			zone = strconv.Itoa(int(sa.ZoneId))
		}
		if sotype == syscall.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: sa.Port, Zone: zone}
		}
		return &net.TCPAddr{IP: ip, Port: sa.Port, Zone: zone}
	case *syscall.SockaddrUnix:
		n := "unix"
		switch sotype {
		case syscall.SOCK_DGRAM:
			n = "unixgram"
		case syscall.SOCK_SEQPACKET:
			n = "unixpacket"
		}
		return &net.UnixAddr{Name: sa.Name, Net: n}
	}
	return nil
}

// dup returns a new close-on-exec descriptor for the inherited socket.
func (in *inherited) dup() (*os.File, error) {
	if in.err != nil {
		return nil, in.err
	}
	rc, err := in.file.SyscallConn()
	if err != nil {
		return nil, &FDError{FD: in.fd, Name: in.name, Err: err}
	}
	nfd, derr := -1, error(nil)
	err = rc.Control(func(fd uintptr) {
		// Hold ForkLock so no child is started between Dup and
		// CloseOnExec and inherits the descriptor.
		syscall.ForkLock.RLock()
		nfd, derr = syscall.Dup(int(fd))
		if derr == nil {
			syscall.CloseOnExec(nfd)
		}
		syscall.ForkLock.RUnlock()
	})
	if err == nil && derr != nil {
		err = os.NewSyscallError("dup", derr)
	}
	if err != nil {
		return nil, &FDError{FD: in.fd, Name: in.name, Err: err}
	}
	return os.NewFile(uintptr(nfd), in.name), nil
}

// sendNotify sends state as one datagram to the Unix datagram socket at
// socket, a path or, on Linux, "@name" for the abstract namespace.
func sendNotify(socket, state string) error {
	if socket[0] != '/' && socket[0] != '@' {
		return errors.New("NOTIFY_SOCKET must be an absolute path or start with @")
	}
	if socket[0] == '@' && runtime.GOOS != "linux" && runtime.GOOS != "android" {
		return errors.New("abstract Unix sockets are only supported on Linux")
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: socket, Net: "unixgram"})
	if err != nil {
		return err
	}
	_, err = c.Write([]byte(state))
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	return err
}

// bindControl sets SO_REUSEADDR on TCP sockets that Listen binds itself.
// Go already does this for TCP listeners on Unix; it is repeated here to make
// the behaviour explicit: a restarted process must be able to bind a port
// whose previous connections are still in TIME_WAIT.
func bindControl(network, _ string, c syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil
	}
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt", serr)
}
