package listenfd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
)

// Listen returns a listener for network and addr, like [net.Listen], but
// prefers a socket inherited from the parent process.
//
// An inherited socket is used if its LISTEN_FDNAMES name equals addr, or
// else if its local address matches: the same port, addr's host empty, an
// unspecified address ("0.0.0.0", "::") or equal to the socket's IP, and a
// compatible network ("tcp" matches IPv4 and IPv6 sockets, "tcp4" and
// "tcp6" only their family; "unix" and "unixpacket" match by path). An
// inherited socket is handed out by at most one open listener at a time: a
// Listen that matches only sockets whose earlier listeners are still open
// returns an error wrapping [ErrInUse]; closing the earlier listener makes
// the socket available again. A name match on a descriptor that is not a
// usable listening socket returns its [*FDError].
//
// If no inherited socket matches, or LISTEN_PID names another process,
// Listen binds the address itself using a [net.ListenConfig]. On Unix it
// sets SO_REUSEADDR on TCP sockets (as Go does by default), so that a
// restarted process can bind a port that still has connections in
// TIME_WAIT. A malformed LISTEN_FDS or LISTEN_PID is reported as an
// [*EnvError] instead of being ignored.
//
// The returned listener reports readiness by itself: its first Accept call
// sends READY=1 to NOTIFY_SOCKET (see [Ready]) before accepting, so an
// application that calls Listen and then serves needs no other change.
// Errors from that notification are not reported by Accept; call Ready
// yourself to observe them. Closing the listener closes only this process's
// descriptor: the socket stays open in the supervisor and in other
// processes sharing it. The listener is a wrapper, not a *net.TCPListener
// or *net.UnixListener.
func Listen(network, addr string) (net.Listener, error) {
	e := getEnv()
	if e.err != nil && !errors.Is(e.err, ErrPIDMismatch) {
		return nil, e.err
	}
	if l, err := e.listenInherited(network, addr); l != nil || err != nil {
		return l, err
	}
	lc := net.ListenConfig{Control: bindControl}
	ln, err := lc.Listen(context.Background(), network, addr)
	if err != nil {
		return nil, e.bindError(err, network, addr)
	}
	return &listener{Listener: ln, e: e}, nil
}

// Listeners returns listeners for all inherited sockets, in descriptor
// order. It returns nil, nil if nothing was inherited (including on
// Windows). It returns an error wrapping [ErrPIDMismatch] if LISTEN_PID
// names another process, [ErrInvalidEnv] if the environment is malformed,
// and an [*FDError] if a descriptor is not a listening stream socket
// (use [Files] for datagram sockets).
//
// Each call returns new listeners, independent of each other and of those
// returned by [Listen]; like those, they send READY=1 on their first Accept
// and closing one closes only this process's copy of the socket.
func Listeners() ([]net.Listener, error) {
	e := getEnv()
	if e.err != nil {
		return nil, e.err
	}
	var ls []net.Listener
	for _, in := range e.fds {
		ln, err := in.listener()
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			return nil, err
		}
		ls = append(ls, &listener{Listener: ln, e: e})
	}
	return ls, nil
}

// Files returns the inherited descriptors as files, in descriptor order,
// named by LISTEN_FDNAMES or "LISTEN_FD_<n>" where n is the descriptor
// number. It returns nil, nil if nothing was inherited, and the same errors
// as [Listeners] except that datagram sockets are accepted.
//
// Each call returns new descriptors (duplicates, close-on-exec, sharing the
// socket): the caller owns them and should close them when done. Their
// blocking mode is left as inherited.
func Files() ([]*os.File, error) {
	e := getEnv()
	if e.err != nil {
		return nil, e.err
	}
	var fs []*os.File
	for _, in := range e.fds {
		f, err := in.dup()
		if err != nil {
			for _, f := range fs {
				f.Close()
			}
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// Names returns the names of the inherited descriptors in descriptor order,
// as given by LISTEN_FDNAMES or defaulting to "LISTEN_FD_<n>", including
// descriptors that turned out unusable. It returns nil if nothing was
// inherited, or if the environment is malformed or meant for another
// process.
func Names() []string {
	e := getEnv()
	if e.err != nil || len(e.fds) == 0 {
		return nil
	}
	names := make([]string, len(e.fds))
	for i, in := range e.fds {
		names[i] = in.name
	}
	return names
}

// Ready tells the supervisor that this process is ready to serve, by sending
// the datagram READY=1 to the Unix datagram socket named by NOTIFY_SOCKET
// (a path, or "@name" for the Linux abstract namespace). It returns nil
// without doing anything if NOTIFY_SOCKET is unset, and always on Windows.
//
// Ready is idempotent: it sends at most once per process, and later calls
// return the result of the first. Listeners returned by this package call it
// on their first Accept.
func Ready() error {
	return getEnv().ready()
}

func (e *environ) ready() error {
	e.readyOnce.Do(func() { e.readyErr = notify(e.notify, "READY=1") })
	return e.readyErr
}

// Notify sends an arbitrary sd_notify state, such as "STOPPING=1" or
// "STATUS=warming caches", to NOTIFY_SOCKET. Multiple assignments are
// separated by newlines. It returns nil without doing anything if
// NOTIFY_SOCKET is unset or state is empty, and always on Windows. Unlike
// [Ready], Notify sends on every call.
func Notify(state string) error {
	return notify(getEnv().notify, state)
}

func notify(socket, state string) error {
	if socket == "" || state == "" {
		return nil
	}
	if err := sendNotify(socket, state); err != nil {
		return fmt.Errorf("listenfd: notify %s: %w", socket, err)
	}
	return nil
}

// listenInherited returns a listener on the inherited socket matching
// network and addr, or nil, nil if none matches.
func (e *environ) listenInherited(network, addr string) (net.Listener, error) {
	if len(e.fds) == 0 {
		return nil, nil
	}
	var cands []*inherited
	for _, in := range e.fds {
		if in.name == addr {
			cands = append(cands, in)
		}
	}
	if len(cands) == 0 {
		for _, in := range e.fds {
			if in.err == nil && matchAddr(network, addr, in.addr, net.LookupIP) {
				cands = append(cands, in)
			}
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	var firstErr error
	for _, in := range cands {
		var err error
		switch {
		case in.err != nil:
			err = in.err
		case !networkOK(network, in.addr):
			err = &FDError{FD: in.fd, Name: in.name, Err: fmt.Errorf("%s socket cannot serve network %q", netName(in.addr), network)}
		case in.inUse:
			err = &FDError{FD: in.fd, Name: in.name, Err: ErrInUse}
		default:
			ln, err := in.listener()
			if err != nil {
				return nil, err
			}
			in.inUse = true
			return &listener{Listener: ln, e: e, in: in}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// bindError adds a hint naming the inherited sockets to an error from
// binding addr, because under a supervisor that error is usually "address
// already in use" caused by an address that does not match the inherited
// socket (e.g. "127.0.0.1:8080" versus an inherited "0.0.0.0:8080").
func (e *environ) bindError(err error, network, addr string) error {
	var have []string
	for _, in := range e.fds {
		if in.err == nil {
			have = append(have, in.describe())
		}
	}
	if len(have) == 0 {
		return err
	}
	return fmt.Errorf("%w (listenfd: no inherited socket matches %s %q; inherited: %s)",
		err, network, addr, strings.Join(have, ", "))
}

// listener creates a new listener on the inherited socket. net.FileListener
// duplicates the descriptor; since in.file was created by os.NewFile, its
// Fd method does not switch the shared file description to blocking mode.
func (in *inherited) listener() (net.Listener, error) {
	if in.err != nil {
		return nil, in.err
	}
	if !in.stream || in.addr == nil {
		return nil, &FDError{FD: in.fd, Name: in.name, Err: fmt.Errorf("%s socket is not a stream listener (use Files)", netName(in.addr))}
	}
	ln, err := net.FileListener(in.file)
	if err != nil {
		return nil, &FDError{FD: in.fd, Name: in.name, Err: err}
	}
	return ln, nil
}

func netName(a net.Addr) string {
	if a == nil {
		return "unknown"
	}
	return a.Network()
}

// listener wraps the listeners handed out by this package: it sends
// READY=1 on the first Accept and releases its inherited socket on Close.
type listener struct {
	net.Listener
	e  *environ
	in *inherited // claimed inherited socket, released on Close; nil if none

	closeOnce sync.Once
	closeErr  error
}

func (l *listener) Accept() (net.Conn, error) {
	l.e.ready() // once per process; cheap after the first call
	return l.Listener.Accept()
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = l.Listener.Close()
		if l.in != nil {
			l.e.mu.Lock()
			l.in.inUse = false
			l.e.mu.Unlock()
		}
	})
	return l.closeErr
}
