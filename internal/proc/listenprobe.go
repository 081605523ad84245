package proc

import (
	"strconv"
	"strings"
)

// How a process group was seen to use a handed-over socket (ProbeListen).
const (
	// UseAccept: a thread is blocked in accept or accept4 on the socket.
	UseAccept = "accept"
	// UseEpoll: the socket is registered in one of the group's epoll
	// sets. Go's netpoller registers a listener as soon as it is made from
	// an inherited fd (net.FileListener), before the first Accept: the app
	// has made a listener of the socket, which for a Go server comes right
	// before Serve. Connections that arrive before Accept wait in the
	// socket's backlog; none is refused.
	UseEpoll = "epoll"
)

// Scope says how far ProbeListen looks. The zero Scope looks at the
// group leader's epoll sets only.
type Scope struct {
	// Group: every process of the group, not only its leader. Finding
	// them scans every process in /proc.
	Group bool
	// Accept: the threads' syscalls too. Each costs about a millisecond
	// to read (the kernel waits until the thread is off CPU).
	Accept bool
}

// parseSyscall parses one /proc/PID/task/TID/syscall line: the syscall
// number and first argument of a thread blocked in a syscall. ok is false
// for "running", for a thread not in a syscall ("-1 ..."), and for
// anything malformed.
func parseSyscall(line string) (nr int64, arg0 uint64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, 0, false
	}
	nr, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || nr < 0 {
		return 0, 0, false
	}
	arg0, err = strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
	if err != nil {
		return 0, 0, false
	}
	return nr, arg0, true
}

// epollTargets returns the inodes of the files an epoll fd watches, from
// the `tfd:` lines of its /proc/PID/fdinfo/N:
//
//	tfd:        9 events: 8000201d data: 3f9d4bf86d000001  pos:0 ino:62dcd6 sdev:9
//
// The inode is hexadecimal. Other lines, and fdinfo of other kinds of fd,
// yield nothing.
func epollTargets(fdinfo string) []uint64 {
	var out []uint64
	for line := range strings.Lines(fdinfo) {
		if !strings.HasPrefix(line, "tfd:") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "ino:"); ok {
				if ino, err := strconv.ParseUint(v, 16, 64); err == nil {
					out = append(out, ino)
				}
				break
			}
		}
	}
	return out
}

// socketInode returns the inode a /proc/PID/fd/N link names when it is a
// socket ("socket:[6452812]").
func socketInode(link string) (uint64, bool) {
	v, ok := strings.CutPrefix(link, "socket:[")
	if !ok || !strings.HasSuffix(v, "]") {
		return 0, false
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(v, "]"), 10, 64)
	return ino, err == nil
}
