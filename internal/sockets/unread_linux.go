//go:build linux

package sockets

import (
	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/procnet"
)

// unreadConns counts the established TCP connections on ports that the
// processes pids hold whose request is not answered yet: received bytes
// not read (a request accepted but not read), or nothing sent yet (a
// request read and in its handler, or a client that connected and has not
// written its request yet). net/http closes the first kind unanswered if
// it reads the request after Shutdown began (golang/go#65802), and an app
// with no SIGTERM handler (gin's r.Run, http.ListenAndServe) dies with the
// others in hand; the stop signal waits for all of them (within the
// drain's bound: a client that connects and never writes holds it). A keep-alive connection
// busy with a later request is not seen, but a client retries an
// idempotent request that fails on a reused connection.
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
			if e.State == procnet.StateEstablished && (e.RxQueue > 0 || e.Traffic.Unanswered()) && held[e.Inode] {
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
