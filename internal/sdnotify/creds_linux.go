//go:build linux

package sdnotify

import (
	"errors"
	"io/fs"
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

// sender returns the pid and uid the kernel attached to a datagram.
func sender(oob []byte) (pid, uid int, ok bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0, false
	}
	for _, m := range msgs {
		if cred, err := unix.ParseUnixCredentials(&m); err == nil {
			return int(cred.Pid), int(cred.Uid), true
		}
	}
	return 0, 0, false
}

// inGroup reports whether pid, a sender the kernel says runs as uid,
// belongs to process group pgid, read from /proc/PID/stat (field 5), which
// a zombie still has. A sender that has exited and been reaped before its
// datagram is read (systemd-notify --no-block from `sh -c`) has no group
// left to read: it is taken as the child's when the kernel vouches that it
// ran as this user, the only one who can reach the private directory, and
// the child's group is still there.
func inGroup(pid, uid, pgid int) bool {
	if pid == pgid {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) {
		return pid > 0 && uid == os.Getuid() && unix.Kill(-pgid, 0) == nil
	}
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

// InGroup is the rule a notify sender passes, for other peers of the
// child (SO_PEERCRED): pid, running as uid, is in process group pgid.
func InGroup(pid, uid, pgid int) bool { return inGroup(pid, uid, pgid) }

// credSize is the room SCM_CREDENTIALS takes in control data.
var credSize = unix.CmsgSpace(unix.SizeofUcred)
