package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Socket is one listening socket the supervisor owns for its whole life.
type Socket struct {
	Address
	ln net.Listener
	fd int // a dup of ln's fd, O_CLOEXEC, handed to every child; -1 on Windows
}

// Listener returns the supervisor's own listener. It must not be closed by
// the caller; Sockets.Close does that.
func (s *Socket) Listener() net.Listener { return s.ln }

// Sockets is the set of sockets handed to every child, in fd order from 3.
type Sockets []*Socket

// ListenOptions tune how sockets are opened. The zero value sets
// SO_REUSEADDR (as Go always does on Unix) and not SO_REUSEPORT.
type ListenOptions struct {
	// ReusePort sets SO_REUSEPORT, which lets other sockets of the same user
	// bind the same address and take a share of its connections. Opt-in.
	ReusePort bool
}

// OpenSockets opens every address once. On error, the sockets opened so far
// are closed and the error names the address.
func OpenSockets(ctx context.Context, addrs []Address, opts ListenOptions) (Sockets, error) {
	var out Sockets
	for _, a := range addrs {
		s, err := openSocket(ctx, a, opts)
		if err != nil {
			out.Close()
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
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

func openSocket(ctx context.Context, a Address, opts ListenOptions) (*Socket, error) {
	lc := net.ListenConfig{Control: controlFunc(opts)}
	// MPTCP listeners (Go 1.24+ default on Linux) reject some socket
	// options; children get a plain TCP socket.
	lc.SetMultipathTCP(false)
	if a.Network == "unix" {
		if err := removeStaleUnixSocket(a.Addr); err != nil {
			return nil, &ListenError{a, err}
		}
	}
	ln, err := lc.Listen(ctx, a.Network, a.Addr)
	if err != nil {
		return nil, &ListenError{a, errors.Unwrap(err)}
	}
	fd, err := dupListenerFD(ln)
	if err != nil {
		ln.Close()
		return nil, &ListenError{a, err}
	}
	s := &Socket{Address: a, ln: ln, fd: fd}
	if a.Network == "tcp" {
		// ":0" picks a port: record the real one so children and logs see it.
		s.Address.Addr = ln.Addr().String()
	}
	return s, nil
}

// Close closes every socket. It is called once, when the supervisor exits.
func (ss Sockets) Close() error {
	var errs []error
	for _, s := range ss {
		closeFD(s.fd)
		if err := s.ln.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Names returns the LISTEN_FDNAMES value.
func (ss Sockets) Names() string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return strings.Join(names, ":")
}

// FDs returns the fds to place at 3, 4, ... in a child.
func (ss Sockets) FDs() []int {
	fds := make([]int, len(ss))
	for i, s := range ss {
		fds[i] = s.fd
	}
	return fds
}
