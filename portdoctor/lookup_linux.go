package portdoctor

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// procRoot is where procfs is mounted.
const procRoot = "/proc"

// tcpStates names the states of /proc/net/tcp (include/net/tcp_states.h).
func tcpState(hex string) string {
	switch hex {
	case "01":
		return "ESTABLISHED"
	case "02":
		return "SYN_SENT"
	case "03":
		return "SYN_RECV"
	case "04":
		return "FIN_WAIT1"
	case "05":
		return "FIN_WAIT2"
	case "06":
		return "TIME_WAIT"
	case "07":
		return "CLOSE"
	case "08":
		return "CLOSE_WAIT"
	case "09":
		return "LAST_ACK"
	case "0A":
		return "LISTEN"
	case "0B":
		return "CLOSING"
	}
	return "0x" + hex
}

// lookupSockets reads /proc/net/{network,network6} for sockets on port and
// finds the processes holding each one through /proc/<pid>/fd.
func lookupSockets(ctx context.Context, network string, port uint16) ([]sockEntry, error) {
	var entries []sockEntry
	for _, name := range []string{network, network + "6"} {
		f, err := os.Open(filepath.Join(procRoot, "net", name))
		if os.IsNotExist(err) && name != network {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("portdoctor: %w", err)
		}
		es, err := parseProcNet(f, network, port)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("portdoctor: %s: %w", f.Name(), err)
		}
		entries = append(entries, es...)
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

// parseProcNet parses a /proc/net/{tcp,tcp6,udp,udp6} table and returns the
// entries whose local port is port.
func parseProcNet(r io.Reader, network string, port uint16) ([]sockEntry, error) {
	var out []sockEntry
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		local, err := parseHexAddr(f[1])
		if err != nil {
			return nil, err
		}
		if local.Port() != port {
			continue
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil {
			return nil, fmt.Errorf("uid %q: %w", f[7], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inode %q: %w", f[9], err)
		}
		state := tcpState(f[3])
		if network == "udp" {
			state = "UNCONN"
			if f[3] == "01" {
				state = "ESTAB"
			}
		}
		out = append(out, sockEntry{local: local, state: state, uid: uid, inode: inode})
	}
	return out, sc.Err()
}

// parseHexAddr parses "0100007F:1F90" or the 32-digit IPv6 form. The kernel
// prints each 32-bit word of the address in host byte order.
func parseHexAddr(s string) (netip.AddrPort, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q has no port", s)
	}
	raw, err := hex.DecodeString(ipHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q is not hex IPv4 or IPv6", s)
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", portHex, err)
	}
	ip, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(ip, uint16(port)), nil
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
