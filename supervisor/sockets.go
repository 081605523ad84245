package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// listenFD opens a listener for a and a CLOEXEC dup of its fd for children.
func listenFD(ctx context.Context, a Address, opts ListenOptions) (net.Listener, int, error) {
	lc := net.ListenConfig{Control: controlFunc(opts)}
	// MPTCP listeners (Go 1.24+ default on Linux) reject some socket
	// options; children get a plain TCP socket.
	lc.SetMultipathTCP(false)
	if a.Network == "unix" {
		if err := removeStaleUnixSocket(a.Addr); err != nil {
			return nil, -1, &ListenError{a, err}
		}
	}
	ln, err := lc.Listen(ctx, a.Network, a.Addr)
	if err != nil {
		return nil, -1, &ListenError{a, errors.Unwrap(err)}
	}
	fd, err := dupListenerFD(ln)
	if err != nil {
		ln.Close()
		return nil, -1, &ListenError{a, err}
	}
	return ln, fd, nil
}
