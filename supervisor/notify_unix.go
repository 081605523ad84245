//go:build unix

package supervisor

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// notifySocket is one child's NOTIFY_SOCKET: a unix datagram socket in the
// supervisor's private 0700 directory, speaking the sd_notify protocol.
type notifySocket struct {
	path  string
	conn  *net.UnixConn
	ready chan struct{} // closed on the first READY=1 from the child
	once  sync.Once
}

// newNotifyDir makes the private directory for notify sockets. Socket paths
// must fit in 108 bytes, so it prefers a short base directory.
func newNotifyDir() (string, error) {
	base := os.TempDir()
	if len(base) > 60 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "reloader-")
	if err != nil {
		return "", fmt.Errorf("supervisor: notify directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("supervisor: notify directory: %w", err)
	}
	return dir, nil
}

func listenNotify(dir string, gen int) (*notifySocket, error) {
	path := filepath.Join(dir, "notify-"+strconv.Itoa(gen))
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("supervisor: notify socket: %w", err)
	}
	if err := enableCredentials(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("supervisor: notify socket %s: %w", path, err)
	}
	return &notifySocket{path: path, conn: conn, ready: make(chan struct{})}, nil
}

// Env returns the NOTIFY_SOCKET value for the child.
func (n *notifySocket) Env() string { return n.path }

// serve reads datagrams until the socket is closed. Where the platform tells
// the sender (SCM_CREDENTIALS on Linux), a message from a process outside
// the child's process group pgid is ignored.
func (n *notifySocket) serve(pgid int, log *slog.Logger) {
	buf := make([]byte, 4096)
	oob := make([]byte, 512)
	for {
		nr, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		if !fromChild(oob[:noob], pgid, log) {
			continue
		}
		for _, line := range bytes.Split(buf[:nr], []byte("\n")) {
			if string(bytes.TrimSpace(line)) == "READY=1" {
				n.once.Do(func() { close(n.ready) })
			}
		}
	}
}

// fromChild reports whether a datagram with control data oob comes from
// process group pgid. Where the platform tells senders (Linux), a datagram
// without credentials is refused too: the kernel attaches them to every
// datagram once SO_PASSCRED is set, so one without is not the child's.
func fromChild(oob []byte, pgid int, log *slog.Logger) bool {
	pid, ok := senderPID(oob)
	switch {
	case ok && !inGroup(pid, pgid):
		log.Warn("ignored notify message from a process outside the child", "sender_pid", pid, "child_pid", pgid)
		return false
	case !ok && sendersKnown:
		log.Warn("ignored notify message without sender credentials", "child_pid", pgid)
		return false
	}
	return true
}

// Close closes the socket and removes its file.
func (n *notifySocket) Close() {
	n.conn.Close()
	os.Remove(n.path)
}
