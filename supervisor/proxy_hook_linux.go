package supervisor

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/reloader-dev/reloader/internal/sockets"
	"golang.org/x/sys/unix"
)

// backendSocket answers an instrumented app's listen request in proxy
// mode. An app with a fixed port (or a -port flag) asks for the address it
// always binds; when that port is one the proxy serves publicly, the app
// is given a socket bound to its generation's private loopback address
// (backend) instead, so it serves behind the proxy unchanged, without
// reading $PORT. An app that reads $PORT asks for backend itself and is
// given the same socket, so its first accept tells reloader it is ready.
// Any other address is refused: the app binds it itself. The returned fd
// is a dup for the caller to send and close.
func (ps proxyServer) backendSocket(ctx context.Context, backend string, r sockets.Request) (int, error) {
	if backend == "" || !ps.servesPort(r.Addr.Port()) && !samePort(backend, r.Addr.Port()) {
		return -1, fmt.Errorf("supervisor: port %d is not one the proxy serves; the app binds it itself", r.Addr.Port())
	}
	lc := net.ListenConfig{}
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp4", backend)
	if err != nil {
		return -1, fmt.Errorf("supervisor: private port for the proxied app: %w", err)
	}
	defer ln.Close() // the app's copy keeps it listening
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", derr)
	}
	return fd, nil
}

// servesPort reports whether the proxy listens publicly on port.
func (ps proxyServer) servesPort(port uint16) bool {
	for _, a := range ps.g.Addrs() {
		if samePort(a.Addr, port) {
			return true
		}
	}
	return false
}

// samePort reports whether addr ("host:port") has port port.
func samePort(addr string, port uint16) bool {
	_, p, err := net.SplitHostPort(addr)
	return err == nil && p == strconv.Itoa(int(port))
}
