//go:build unix

package sdnotify

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Socket is one child's NOTIFY_SOCKET: a unix datagram socket in the
// private 0700 directory, speaking the sd_notify protocol. Make one with
// Listen; the zero Socket is not usable.
type Socket struct {
	path  string
	conn  *net.UnixConn
	ready chan struct{} // closed on the first READY=1 from the child
	once  sync.Once
}

// NewDir makes the private directory for notify sockets, 0700 and owned by
// this process's user. Socket paths must fit in 108 bytes, so it prefers a
// short base directory. The caller removes it.
func NewDir() (string, error) {
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "reloader-")
	if err != nil {
		return "", fmt.Errorf("sdnotify: directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("sdnotify: directory: %w", err)
	}
	return dir, nil
}

// Listen opens the socket of generation gen in dir, a directory made by
// NewDir. Where the platform tells senders (Linux), it asks the kernel for
// the sender's credentials on every datagram.
func Listen(dir string, gen int) (*Socket, error) {
	path := filepath.Join(dir, "notify-"+strconv.Itoa(gen))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("sdnotify: listen: %w", err)
	}
	if err := enableCredentials(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sdnotify: credentials on %s: %w", path, err)
	}
	return &Socket{path: path, conn: conn, ready: make(chan struct{})}, nil
}

// Env returns the NOTIFY_SOCKET value for the child: the socket's path.
func (n *Socket) Env() string { return n.path }

// Ready is closed on the first READY=1 from the child.
func (n *Socket) Ready() <-chan struct{} { return n.ready }

// oobSize holds the credentials (credSize) and the most fds one datagram
// can carry (SCM_MAX_FD, 253), so that no control data is cut off.
var oobSize = credSize + unix.CmsgSpace(4*253)

// Serve reads datagrams until the socket is closed; run it in its own
// goroutine. Where the platform tells the sender (SCM_CREDENTIALS on
// Linux), a message from a process outside the child's process group pgid
// is ignored, with a warning on log. Every fd a datagram carries is closed
// once its message is handled: that answers BARRIER=1, whose sender
// (sd_notify_barrier, systemd-notify) waits for the fd to close, and drops
// FDSTORE=1, which reloader does not keep.
func (n *Socket) Serve(pgid int, log *slog.Logger) {
	buf := make([]byte, 4096)
	oob := make([]byte, oobSize)
	for {
		nr, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		if fromChild(oob[:noob], pgid, log) {
			for _, line := range bytes.Split(buf[:nr], []byte("\n")) {
				if string(bytes.TrimSpace(line)) == "READY=1" {
					n.once.Do(func() { close(n.ready) })
				}
			}
		}
		closeFds(oob[:noob])
	}
}

// closeFds closes every fd passed in control data oob (SCM_RIGHTS).
func closeFds(oob []byte) {
	msgs, _ := unix.ParseSocketControlMessage(oob)
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
}

// fromChild reports whether a datagram with control data oob comes from
// process group pgid. Where the platform tells senders (Linux), a datagram
// without credentials is refused too: the kernel attaches them to every
// datagram once SO_PASSCRED is set, so one without is not the child's.
func fromChild(oob []byte, pgid int, log *slog.Logger) bool {
	pid, uid, ok := sender(oob)
	switch {
	case ok && !inGroup(pid, uid, pgid):
		log.Warn("ignored notify message from a process outside the child", "sender_pid", pid, "child_pid", pgid)
		return false
	case !ok && sendersKnown:
		log.Warn("ignored notify message without sender credentials", "child_pid", pgid)
		return false
	}
	return true
}

// Close closes the socket and removes its file.
func (n *Socket) Close() {
	n.conn.Close()
	os.Remove(n.path)
}
