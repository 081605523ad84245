package procnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Listeners reads Dir/tcp and, where the kernel has IPv6, Dir/tcp6, and
// returns every listening socket, on any port. Errors name the table.
func Listeners() ([]Entry, error) {
	var out []Entry
	for _, name := range []string{"tcp", "tcp6"} {
		path := filepath.Join(Dir, name)
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) && name != "tcp" {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("procnet: %w", err)
		}
		es, err := parse(f, func(netip.AddrPort) bool { return true })
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("procnet: %s: %w", path, err)
		}
		for _, e := range es {
			if e.State == StateListen {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// Inodes returns the inodes of the sockets the processes pids have open,
// read from their /proc/<pid>/fd links. A process whose fds cannot be read
// (gone, or another user's) adds none; outside Linux the set is empty.
func Inodes(pids []int) map[uint64]bool {
	held := map[uint64]bool{}
	for _, pid := range pids {
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		fds, _ := os.ReadDir(dir)
		for _, fd := range fds {
			link, err := os.Readlink(dir + "/" + fd.Name())
			if err != nil {
				continue
			}
			inode, ok := strings.CutPrefix(link, "socket:[")
			if !ok {
				continue
			}
			if v, err := strconv.ParseUint(strings.TrimSuffix(inode, "]"), 10, 64); err == nil {
				held[v] = true
			}
		}
	}
	return held
}
