//go:build linux

package sdnotify

import (
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// sendersKnown: every notify datagram carries its sender's credentials.
const sendersKnown = true

// enableCredentials asks the kernel to attach the sender's pid, uid and gid
// to every datagram.
func enableCredentials(c *net.UnixConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	}); err != nil {
		return err
	}
	return serr
}

func senderPID(oob []byte) (int, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			return int(cred.Pid), true
		}
	}
	return 0, false
}

// inGroup reports whether pid belongs to process group pgid, read from
// /proc/PID/stat (field 5).
func inGroup(pid, pgid int) bool {
	if pid == pgid {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	// The command name (field 2) may hold spaces; fields follow its ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(s[i+1:])
	return len(f) > 2 && f[2] == strconv.Itoa(pgid)
}
