//go:build linux

package sockets

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"unsafe"

	"github.com/reloader-dev/reloader/internal/procnet"
	"golang.org/x/sys/unix"
)

// attachSteering attaches a one-instruction classic BPF program to the
// SO_REUSEPORT group of fd: it returns index, so the group's socket at that
// index receives every new connection.
func attachSteering(fd, index int) error {
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: uint32(index)}}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &fprog); err != nil {
		return fmt.Errorf("sockets: attach reuseport program: %w", os.NewSyscallError("setsockopt(SO_ATTACH_REUSEPORT_CBPF)", err))
	}
	return nil
}

// acceptQueueLen returns the number of connections waiting in a listening
// socket's accept queue (tcpi_unacked, for a listener).
func acceptQueueLen(fd int) (int, error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt(TCP_INFO)", err)
	}
	return int(info.Unacked), nil
}

// listenersOn counts the TCP listeners bound to addr's port and address in
// the kernel's tables (sock_diag, which skips the sockets in other states).
// A host that is not an IP address matches any.
func listenersOn(addr string) (int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("sockets: listeners on %s: %w", addr, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("sockets: listeners on %s: %w", addr, err)
	}
	ip, ipErr := netip.ParseAddr(host)
	rows, err := procnet.Query("tcp", uint16(port), procnet.StateListen)
	if err != nil {
		return 0, fmt.Errorf("sockets: listeners on %s: %w", addr, err)
	}
	n := 0
	for _, r := range rows {
		if r.State == procnet.StateListen && (ipErr != nil || sameIP(r.Local.Addr(), ip)) {
			n++
		}
	}
	return n, nil
}

// sameIP compares addresses as net.IP.Equal does: an IPv4 address equals
// its IPv4-mapped IPv6 form. Zones are ignored; the tables have none.
func sameIP(a, b netip.Addr) bool {
	return a.Unmap().WithZone("") == b.Unmap().WithZone("")
}

// stopListening takes a listening socket out of LISTEN state, and so out of
// its SO_REUSEPORT group, for every process that holds it. Connections
// queued on it are reset.
func stopListening(fd int) error {
	if err := unix.Shutdown(fd, unix.SHUT_RD); err != nil {
		return fmt.Errorf("sockets: stop listening: %w", os.NewSyscallError("shutdown", err))
	}
	return nil
}
