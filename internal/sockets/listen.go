package sockets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/reloader-dev/reloader/portdoctor"
)

// ListenOptions tune how sockets are opened. The zero value sets
// SO_REUSEADDR (as Go always does on Unix) and not SO_REUSEPORT.
type ListenOptions struct {
	// ReusePort sets SO_REUSEPORT, which lets other sockets of the same user
	// bind the same address and take a share of its connections. Opt-in.
	ReusePort bool
	// BindWait bounds the retries of a bind that fails with EADDRINUSE.
	// 0 means portdoctor.DefaultRetryWait (3s); negative means one attempt.
	BindWait time.Duration
	// Log receives the one warning that names the holder. nil means none.
	Log *slog.Logger
	// UnixMode is the permission of unix socket files. 0 means 0660: the
	// owner and its group may connect, nobody else. The file never has
	// looser permissions than these, not even between bind and chmod.
	UnixMode os.FileMode
	// DualStack clears IPV6_V6ONLY on a "tcp6" socket (Go sets it there),
	// so that it takes IPv4 connections too. false leaves Go's choice.
	DualStack bool
}

// DefaultUnixMode is the permission of unix socket files when
// ListenOptions.UnixMode is 0.
const DefaultUnixMode os.FileMode = 0o660

func (o ListenOptions) unixMode() os.FileMode {
	if o.UnixMode == 0 {
		return DefaultUnixMode
	}
	return o.UnixMode
}

// unwrapOp returns the syscall error inside a *net.OpError, as the
// diagnosis expects it.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}

// ListenError reports a socket that could not be opened.
type ListenError struct {
	// Address is the socket, as configured.
	Address Address
	// Err is the cause: for a bind that failed, the syscall error, often
	// a *portdoctor.BindError that explains it.
	Err error
}

// Error returns "supervisor: listen on ADDRESS: CAUSE". The prefix is the
// public package's, where users meet this error (supervisor.ListenError).
func (e *ListenError) Error() string {
	return fmt.Sprintf("supervisor: listen on %s: %v", e.Address, e.Err)
}

// Unwrap returns Err.
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
	bind := func() error {
		if a.Network == "udp" {
			pc, err := lc.ListenPacket(ctx, "udp", a.Addr)
			if err == nil {
				sock, bound = pc, pc.LocalAddr().String()
			}
			return unwrapOp(err)
		}
		ln, err := lc.Listen(ctx, a.Network, a.Addr)
		if err == nil {
			sock, bound = ln, ln.Addr().String()
		}
		return unwrapOp(err)
	}
	// An address still held by a process on its way out (a slow shutdown,
	// an earlier run) is retried for BindWait, naming the holder once.
	if a.Network == "unix" {
		err = bind()
	} else {
		err = portdoctor.Retry{Wait: opts.BindWait, Log: opts.Log}.Listen(ctx, a.Network, a.Addr, bind)
	}
	if err != nil {
		return nil, -1, "", &ListenError{a, err}
	}
	fd, err := dupFD(sock)
	if err != nil {
		sock.Close()
		return nil, -1, "", &ListenError{a, err}
	}
	if a.Network == "unix" {
		bound = a.Addr
		// The file was created with at most this mode (less the umask);
		// chmod gives it exactly this mode.
		if err := os.Chmod(a.Addr, opts.unixMode()); err != nil {
			closeFD(fd)
			sock.Close()
			return nil, -1, "", &ListenError{a, err}
		}
	}
	return sock, fd, bound, nil
}
