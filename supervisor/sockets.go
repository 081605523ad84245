package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/reloader-dev/reloader/portdoctor"
)

// ListenOptions tune how sockets are opened. The zero value sets
// SO_REUSEADDR (as Go always does on Unix) and not SO_REUSEPORT.
type ListenOptions struct {
	// ReusePort sets SO_REUSEPORT, which lets other sockets of the same user
	// bind the same address and take a share of its connections. Opt-in.
	ReusePort bool
}

// ListenError reports a socket the supervisor could not open.
type ListenError struct {
	Address Address
	Err     error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("supervisor: listen on %s: %v", e.Address, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// listenFD opens a socket for a (a listener, or for udp a bound datagram
// socket) and a CLOEXEC dup of its fd for children. It returns the bound
// address, with the port chosen for ":0".
func listenFD(ctx context.Context, a Address, opts ListenOptions) (io.Closer, int, string, error) {
	lc := net.ListenConfig{Control: controlFunc(opts)}
	// MPTCP listeners (Go 1.24+ default on Linux) reject some socket
	// options; children get a plain TCP socket.
	lc.SetMultipathTCP(false)
	if a.Network == "unix" {
		if err := removeStaleUnixSocket(a.Addr); err != nil {
			return nil, -1, "", &ListenError{a, err}
		}
	}
	var (
		sock  io.Closer
		bound string
		err   error
	)
	if a.Network == "udp" {
		var pc net.PacketConn
		if pc, err = lc.ListenPacket(ctx, "udp", a.Addr); err == nil {
			sock, bound = pc, pc.LocalAddr().String()
		}
	} else {
		var ln net.Listener
		if ln, err = lc.Listen(ctx, a.Network, a.Addr); err == nil {
			sock, bound = ln, ln.Addr().String()
		}
	}
	if err != nil {
		return nil, -1, "", &ListenError{a, portdoctor.Wrap(ctx, a.Network, a.Addr, errors.Unwrap(err))}
	}
	fd, err := dupFD(sock)
	if err != nil {
		sock.Close()
		return nil, -1, "", &ListenError{a, err}
	}
	if a.Network == "unix" {
		bound = a.Addr
	}
	return sock, fd, bound, nil
}
