package supervisor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The "ondemand" test child speaks the RELOADER_HOOK_SOCKET protocol by hand,
// as an instrumented app's hooks do: it binds its own socket with
// SO_REUSEPORT, asks for the address, dup3()s the socket it is given over
// its own and skips listen(), and says "ready" at its first accept.

// onDemandEnv lists the child's addresses, comma-separated.
const onDemandEnv = "TEST_ONDEMAND_ADDRS"

// onDemandSlowEnv, a duration, is how long the child waits between its
// sockets and its first accept (a slow init).
const onDemandSlowEnv = "TEST_ONDEMAND_ACCEPT_AFTER"

// onDemandSpinEnv, a duration, is how long the child keeps a CPU busy
// before it asks for its sockets (an init on a loaded machine).
const onDemandSpinEnv = "TEST_ONDEMAND_SPIN_BEFORE"

// onDemandListener asks for every address and returns one listener that
// accepts on all of them and on the -l socket at fd 3, if any.
func onDemandListener() net.Listener {
	path := os.Getenv("RELOADER_HOOK_SOCKET")
	os.Unsetenv("RELOADER_HOOK_SOCKET")
	var lns []net.Listener
	if os.Getenv("LISTEN_FDS") == "1" {
		ln, err := net.FileListener(os.NewFile(3, "listener"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			os.Exit(2)
		}
		lns = append(lns, ln)
	}
	if d, err := time.ParseDuration(os.Getenv(onDemandSpinEnv)); err == nil {
		for end := time.Now().Add(d); time.Now().Before(end); {
		} // a busy init, before it listens
	}
	for _, a := range strings.Split(os.Getenv(onDemandEnv), ",") {
		ln, err := askListen(path, a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			os.Exit(2)
		}
		lns = append(lns, ln)
	}
	if d, err := time.ParseDuration(os.Getenv(onDemandSlowEnv)); err == nil {
		time.Sleep(d) // the slow init under test
	}
	return newFanIn(lns)
}

// askListen binds addr, asks path for its socket and listens on what it
// got, or on its own socket when told "no".
func askListen(path, addr string) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for _, opt := range []int{unix.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, 1); err != nil {
			return nil, err
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		return nil, fmt.Errorf("bind %s: %w", addr, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, err
	}
	in := sa.(*unix.SockaddrInet4)
	bound := netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port)).String()
	reply, got, err := exchange(path, "listen tcp4 "+bound)
	if err != nil {
		return nil, err
	}
	if reply == "ok" {
		if err := unix.Dup3(got, fd, unix.O_CLOEXEC); err != nil {
			return nil, err
		}
		unix.Close(got)
	} else {
		fmt.Fprintf(os.Stderr, "test child: %s: %s\n", bound, reply)
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 0)
		if err := unix.Listen(fd, 128); err != nil {
			return nil, err
		}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), bound)
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, err
	}
	if reply != "ok" {
		return ln, nil
	}
	return &readyListener{Listener: ln, path: path, addr: bound}, nil
}

// exchange sends msg on a new connection to path and, unless it is
// "ready", returns the reply and the fd it carried (-1 if none).
func exchange(path, msg string) (reply string, fd int, err error) {
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", -1, err
	}
	defer unix.Close(s)
	if err := unix.Connect(s, &unix.SockaddrUnix{Name: path}); err != nil {
		return "", -1, fmt.Errorf("connect %s: %w", path, err)
	}
	if _, err := unix.Write(s, []byte(msg)); err != nil {
		return "", -1, err
	}
	if strings.HasPrefix(msg, "ready") {
		return "", -1, nil
	}
	buf, oob := make([]byte, 512), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(s, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return "", -1, err
	}
	fd = -1
	msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
	for _, m := range msgs {
		if fds, err := unix.ParseUnixRights(&m); err == nil && len(fds) == 1 {
			fd = fds[0]
		}
	}
	if string(buf[:n]) == "ok" && fd < 0 {
		return "", -1, errors.New("ok without a socket")
	}
	return string(buf[:n]), fd, nil
}

// readyListener says "ready ADDR" at its first Accept.
type readyListener struct {
	net.Listener
	path, addr string
	once       sync.Once
}

func (l *readyListener) Accept() (net.Conn, error) {
	l.once.Do(func() {
		if _, _, err := exchange(l.path, "ready "+l.addr); err != nil {
			fmt.Fprintln(os.Stderr, "test child: ready:", err)
		}
	})
	return l.Listener.Accept()
}

// fanIn accepts on several listeners. Close closes them, and Accept still
// returns every connection they accepted before it fails, so the drain
// of runTestChild loses none.
type fanIn struct {
	lns   []net.Listener
	conns chan net.Conn
	once  sync.Once
}

func newFanIn(lns []net.Listener) *fanIn {
	f := &fanIn{lns: lns, conns: make(chan net.Conn)}
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				f.conns <- c
			}
		}()
	}
	go func() { wg.Wait(); close(f.conns) }()
	return f
}

func (f *fanIn) Accept() (net.Conn, error) {
	c, ok := <-f.conns
	if !ok {
		return nil, net.ErrClosed
	}
	return c, nil
}

func (f *fanIn) Close() error {
	f.once.Do(func() {
		for _, ln := range f.lns {
			ln.Close()
		}
	})
	return nil
}

func (f *fanIn) Addr() net.Addr { return f.lns[0].Addr() }
