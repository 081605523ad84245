//go:build linux

package proc

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// ListenProbeWorks reports whether ProbeListen can see anything on this
// platform: true on Linux.
const ListenProbeWorks = true

// SocketInodes returns the inodes of this process's socket fds.
func SocketInodes(fds []int) (map[uint64]bool, error) {
	out := make(map[uint64]bool, len(fds))
	for _, fd := range fds {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("proc: fstat of socket fd %d: %w", fd, err)
		}
		out[st.Ino] = true
	}
	return out, nil
}

// ProbeListen reports whether the process pgid, or the processes of the
// group pgid, use one of the sockets inodes (SocketInodes of the fds they
// were handed): UseEpoll when one is registered in an epoll set, else,
// with scope.Accept, UseAccept when a thread is blocked in accept or
// accept4 on one, else "". A process that exits while it is read is
// skipped; files it cannot read count as nothing seen.
func ProbeListen(pgid int, inodes map[uint64]bool, scope Scope) string {
	if len(inodes) == 0 {
		return ""
	}
	pids := []int{pgid}
	if scope.Group {
		pids = GroupMembers(pgid)
	}
	// Epoll first: fdinfo costs microseconds to read, a thread's syscall
	// file a millisecond or more.
	type seen struct {
		dir    string
		handed map[uint64]bool
	}
	var holders []seen
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid)
		handed, polls := fdsOf(dir, inodes)
		if len(handed) == 0 {
			continue
		}
		if registered(dir, polls, inodes) {
			return UseEpoll
		}
		holders = append(holders, seen{dir, handed})
	}
	if !scope.Accept {
		return ""
	}
	for _, h := range holders {
		if blockedInAccept(h.dir, h.handed) {
			return UseAccept
		}
	}
	return ""
}

// fdsOf returns which fds of the process at dir are handed sockets, and
// which are epoll fds.
func fdsOf(dir string, inodes map[uint64]bool) (handed map[uint64]bool, polls []string) {
	ents, _ := os.ReadDir(dir + "/fd")
	for _, e := range ents {
		link, err := os.Readlink(dir + "/fd/" + e.Name())
		if err != nil {
			continue
		}
		if link == "anon_inode:[eventpoll]" {
			polls = append(polls, e.Name())
		} else if ino, ok := socketInode(link); ok && inodes[ino] {
			if handed == nil {
				handed = map[uint64]bool{}
			}
			n, _ := strconv.ParseUint(e.Name(), 10, 64)
			handed[n] = true
		}
	}
	return handed, polls
}

// blockedInAccept reports whether a thread of the process at dir is
// blocked in accept or accept4 on one of the fds handed.
func blockedInAccept(dir string, handed map[uint64]bool) bool {
	tasks, _ := os.ReadDir(dir + "/task")
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/syscall")
		if err != nil {
			continue
		}
		nr, fd, ok := parseSyscall(string(b))
		if ok && slices.Contains(acceptCalls, nr) && handed[fd] {
			return true
		}
	}
	return false
}

// registered reports whether one of the epoll fds polls of the process at
// dir watches one of inodes.
func registered(dir string, polls []string, inodes map[uint64]bool) bool {
	for _, fd := range polls {
		b, err := os.ReadFile(dir + "/fdinfo/" + fd)
		if err != nil {
			continue
		}
		for _, ino := range epollTargets(string(b)) {
			if inodes[ino] {
				return true
			}
		}
	}
	return false
}
