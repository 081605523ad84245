package portdoctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/reloader-dev/reloader/internal/procnet"
)

// procRoot is where procfs is mounted.
const procRoot = "/proc"

// lookupSockets reads /proc/net/{network,network6} for sockets on port and
// finds the processes holding each one through /proc/<pid>/fd.
func lookupSockets(ctx context.Context, network string, port uint16) ([]sockEntry, error) {
	rows, err := procnet.Read(network, port)
	if err != nil {
		return nil, fmt.Errorf("portdoctor: %w", err)
	}
	entries := make([]sockEntry, 0, len(rows))
	for _, r := range rows {
		entries = append(entries, sockEntry{local: r.Local, state: stateName(network, r.State), uid: r.UID, inode: r.Inode})
	}
	want := map[uint64]int{} // inode -> index in entries
	for i, e := range entries {
		if e.inode != 0 {
			want[e.inode] = i
		}
	}
	if len(want) == 0 {
		return entries, nil
	}
	owners, err := socketOwners(ctx, want)
	if err != nil {
		return entries, err
	}
	for inode, pids := range owners {
		i := want[inode]
		for _, pid := range pids {
			entries[i].procs = append(entries[i].procs, procInfo{pid: pid, cmdline: cmdline(pid)})
		}
	}
	return entries, nil
}

// stateName names a socket's state the way ss does: the TCP state, or
// ESTAB and UNCONN for a connected and an unconnected udp socket.
func stateName(network string, st procnet.State) string {
	if network != "udp" {
		return st.String()
	}
	if st == procnet.StateEstablished {
		return "ESTAB"
	}
	return "UNCONN"
}

// socketOwners maps each wanted socket inode to the pids holding an fd on
// it. Processes whose fd directory cannot be read (other users' processes,
// without privilege) are skipped: their sockets stay without an owner.
func socketOwners(ctx context.Context, want map[uint64]int) (map[uint64][]int, error) {
	dirs, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("portdoctor: %w", err)
	}
	owners := map[uint64][]int{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return owners, fmt.Errorf("portdoctor: %w", err)
		}
		fdDir := filepath.Join(procRoot, d.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			num, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(num, "]"), 10, 64)
			if err != nil {
				continue
			}
			if _, ok := want[inode]; ok && !slices.Contains(owners[inode], pid) {
				owners[inode] = append(owners[inode], pid)
			}
		}
	}
	return owners, nil
}

// cmdline returns the process's arguments joined by spaces, or "" if they
// cannot be read.
func cmdline(pid int) string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	return joinArgs(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"))
}
