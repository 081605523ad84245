//go:build linux

package sockets

import (
	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/procnet"
)

// unreadConns counts the established TCP connections on ports that the
// processes pids hold and whose received bytes they have not read yet: a
// request accepted but not read. net/http closes such a connection
// unanswered if it reads the request after Shutdown began
// (golang/go#65802), so the stop signal waits for them.
func unreadConns(pids []int, ports []uint16) (int, error) {
	held := procnet.Inodes(pids)
	if len(held) == 0 {
		return 0, nil
	}
	n := 0
	for _, p := range ports {
		es, err := procnet.Query("tcp", p, procnet.StateEstablished)
		if err != nil {
			return 0, err
		}
		for _, e := range es {
			if e.State == procnet.StateEstablished && e.RxQueue > 0 && held[e.Inode] {
				n++
			}
		}
	}
	return n, nil
}

// groupPids returns the processes of group pgid.
func groupPids(pgid int) []int { return proc.GroupMembers(pgid) }

// SocketInodes returns the inodes of the sockets the processes pids have
// open.
func SocketInodes(pids []int) map[uint64]bool { return procnet.Inodes(pids) }
