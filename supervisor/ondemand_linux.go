package supervisor

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/reloader-dev/reloader/internal/sdnotify"
	"github.com/reloader-dev/reloader/internal/sockets"
	"github.com/reloader-dev/reloader/portdoctor"
)

// requestWait bounds one exchange on the request socket: the app sends
// its message at once and reads the reply at once.
const requestWait = 10 * time.Second

// errNoSockets answers a request in a mode where reloader hands out no
// socket (the proxy).
var errNoSockets = errors.New("reloader hands no sockets over in this mode")

// listenServer serves RELOADER_HOOK_SOCKET for one child generation: a unix
// SOCK_SEQPACKET socket in the private directory, one exchange per
// connection, from peers in the child's process group only.
type listenServer struct {
	s    *Supervisor
	path string
	ln   *net.UnixListener
	hand *sockets.Hand // the generation's sockets; nil in the proxy
	// backend is the generation's private loopback address in the proxy
	// ("" otherwise): an app asking for a port the proxy serves gets a
	// socket bound there.
	backend string
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once // close

	mu     sync.Mutex
	given  map[netip.AddrPort]bool // addresses handed over, for "ready"
	asked  time.Time               // the first listen request's arrival
	conns  map[*net.UnixConn]bool  // exchanges under way, closed by close
	closed bool

	handedCh, acceptCh     chan struct{}
	handedOnce, acceptOnce sync.Once
}

// startListenServer opens generation gen's request socket when the child
// gets one (wantsListenServer); nil otherwise. It serves from serve on.
func (s *Supervisor) startListenServer(gen int, h *handout, instrumented bool) (*listenServer, error) {
	if !s.wantsListenServer(instrumented) || s.notifyDir == "" {
		return nil, nil
	}
	path := s.notifyDir + "/listen-" + strconv.Itoa(gen)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		return nil, err // names the path
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &listenServer{s: s, path: path, ln: ln, hand: h.hand, backend: h.backend, ctx: ctx, cancel: cancel,
		given: map[netip.AddrPort]bool{}, conns: map[*net.UnixConn]bool{}, handedCh: make(chan struct{}), acceptCh: make(chan struct{})}, nil
}

// env returns the child's RELOADER_HOOK_SOCKET entry.
func (ls *listenServer) env() []string {
	if ls == nil {
		return nil
	}
	return []string{listenEnvVar + "=" + ls.path}
}

// handed is closed once the child was handed a socket on demand.
func (ls *listenServer) handed() <-chan struct{} {
	if ls == nil {
		return nil
	}
	return ls.handedCh
}

// accepted is closed on the child's "ready": its first accept on a
// socket it was handed.
func (ls *listenServer) accepted() <-chan struct{} {
	if ls == nil {
		return nil
	}
	return ls.acceptCh
}

// serve answers requests from process group pgid until close.
func (ls *listenServer) serve(pgid int) {
	if ls == nil {
		return
	}
	ls.wg.Add(1)
	go func() {
		defer ls.wg.Done()
		for {
			conn, err := ls.ln.AcceptUnix()
			if err != nil {
				return
			}
			ls.mu.Lock()
			if ls.closed {
				ls.mu.Unlock()
				conn.Close()
				return
			}
			ls.conns[conn] = true
			ls.wg.Add(1)
			ls.mu.Unlock()
			go func() {
				defer ls.wg.Done()
				ls.exchange(conn, pgid)
				ls.mu.Lock()
				delete(ls.conns, conn)
				ls.mu.Unlock()
				conn.Close()
			}()
		}
	}()
}

// close stops serving, removes the socket, ends the exchanges under way
// (a grandchild that connected and sends nothing holds up nobody) and
// waits for them. Call it once the child is gone; later calls do nothing.
func (ls *listenServer) close() {
	if ls == nil {
		return
	}
	ls.once.Do(func() {
		ls.cancel()
		ls.ln.Close() // removes the file too
		ls.mu.Lock()
		ls.closed = true
		for c := range ls.conns {
			c.Close()
		}
		ls.mu.Unlock()
		ls.wg.Wait()
	})
}

// exchange reads one message and answers it.
func (ls *listenServer) exchange(conn *net.UnixConn, pgid int) {
	conn.SetDeadline(time.Now().Add(requestWait))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	if err != nil {
		return
	}
	msg := buf[:n]
	log := ls.s.log
	if pid, uid, err := peerCred(conn); err != nil || uid != os.Getuid() || !sdnotify.InGroup(pid, uid, pgid) {
		log.Warn("refused a socket request from a process outside the child", "sender_pid", pid, "child_pid", pgid, "err", err)
		if !bytes.HasPrefix(msg, []byte("ready")) {
			conn.Write([]byte("no not your child"))
		}
		return
	}
	r, err := sockets.ParseRequest(msg)
	switch {
	case err != nil && bytes.HasPrefix(msg, []byte("ready")):
		log.Warn("ignored a malformed ready message", "child_pid", pgid, "err", err)
	case err != nil:
		log.Debug("refused a socket request", "child_pid", pgid, "request", string(msg), "err", err)
		conn.Write([]byte("no " + err.Error()))
	case r.Ready:
		// Any address the child was handed will do: a ready that names
		// another one (a form the app spells differently) must not leave
		// the child waiting for ready_timeout, as no delay decides now.
		ls.mu.Lock()
		ok, some := ls.given[r.Addr], len(ls.given) > 0
		ls.mu.Unlock()
		if !some {
			log.Warn("ignored ready from a child that was handed no socket", "child_pid", pgid, "addr", r.Addr.String())
			return
		}
		if !ok {
			log.Debug("ready for an address the child was not handed; taken as ready", "child_pid", pgid, "addr", r.Addr.String())
		}
		ls.acceptOnce.Do(func() { close(ls.acceptCh) })
	default:
		ls.listen(conn, pgid, r)
	}
}

// askedAt returns when the child first asked for a socket: the end of the
// app's own start-up. Zero if it has not asked.
func (ls *listenServer) askedAt() time.Time {
	if ls == nil {
		return time.Time{}
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.asked
}

// asking reports whether the child has asked for a socket, or has a
// request under way.
func (ls *listenServer) asking() bool {
	if ls == nil {
		return false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return !ls.asked.IsZero() || len(ls.conns) > 0
}

// listen answers a listen request: "ok" with the socket, or "no REASON".
func (ls *listenServer) listen(conn *net.UnixConn, pgid int, r sockets.Request) {
	ls.mu.Lock()
	if ls.asked.IsZero() {
		ls.asked = time.Now()
	}
	ls.mu.Unlock()
	fd, err := ls.s.askSocket(ls.ctx, ls.hand, ls.backend, r)
	if err != nil {
		ls.s.log.Warn("cannot hand over the address the app asked for; it listens on its own socket", "child_pid", pgid, "addr", r.Addr.String(), "err", err)
		var be *portdoctor.BindError
		if errors.As(err, &be) && be.Report != nil {
			var b bytes.Buffer
			be.Report.FormatDetails(&b)
			ls.s.out.stderr.Write(b.Bytes())
		}
		conn.Write([]byte("no " + err.Error()))
		return
	}
	defer unix.Close(fd)
	// Given before the reply: the app says "ready" on another connection
	// as soon as it has the socket, maybe before this goroutine runs on.
	ls.mu.Lock()
	ls.given[r.Addr] = true
	ls.mu.Unlock()
	if _, _, err := conn.WriteMsgUnix([]byte("ok"), unix.UnixRights(fd), nil); err != nil {
		ls.s.log.Warn("cannot send the socket the app asked for", "child_pid", pgid, "addr", r.Addr.String(), "err", err)
		return
	}
	ls.handedOnce.Do(func() { close(ls.handedCh) })
}

// askSocket gives the generation h its socket for r, a listen request: a
// dup of it for the caller to send and close. An address bound for this
// request is reported with a Listening event.
func (s *Supervisor) askSocket(ctx context.Context, h *sockets.Hand, backend string, r sockets.Request) (int, error) {
	var set *sockets.Set
	switch srv := s.srv.(type) {
	case steered:
		set = srv.g
	case shared:
		set = srv.g
	case proxyServer:
		return srv.backendSocket(ctx, backend, r)
	}
	if set == nil || h == nil {
		return -1, errNoSockets
	}
	fd, fresh, err := set.Ask(ctx, h, r)
	if fresh != nil {
		s.emit(Listening{Address: *fresh, Asked: true})
	}
	return fd, err
}

// peerCred returns the pid and uid of the process that connected conn.
func peerCred(conn *net.UnixConn) (pid, uid int, err error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if cerr != nil {
		return 0, 0, os.NewSyscallError("getsockopt(SO_PEERCRED)", cerr)
	}
	return int(cred.Pid), int(cred.Uid), nil
}
