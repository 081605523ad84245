package supervisor

import (
	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/procnet"
)

// groupListens returns the TCP ports the processes of group pgid listen
// on, each with its local address, read from /proc; nil if the socket
// tables cannot be read.
func groupListens(pgid int) map[uint16]string {
	held := procnet.Inodes(proc.GroupMembers(pgid))
	es, err := procnet.Listeners()
	if err != nil {
		return nil
	}
	out := map[uint16]string{}
	for _, e := range es {
		if held[e.Inode] {
			out[e.Local.Port()] = e.Local.String()
		}
	}
	return out
}
