//go:build linux

package supervisor

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// attachSteering attaches a one-instruction classic BPF program to the
// SO_REUSEPORT group of fd: it returns index, so the group's socket at that
// index receives every new connection.
func attachSteering(fd, index int) error {
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: uint32(index)}}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &fprog); err != nil {
		return fmt.Errorf("supervisor: attach reuseport program: %w", os.NewSyscallError("setsockopt(SO_ATTACH_REUSEPORT_CBPF)", err))
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
// /proc/net/tcp and tcp6.
func listenersOn(addr string) (int, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	ip := net.ParseIP(host)
	port := portOf(addr)
	n := 0
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" {
				continue
			}
			local, p, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			lp, err := strconv.ParseUint(p, 16, 16)
			if err != nil || int(lp) != port {
				continue
			}
			if ip == nil || procIP(local).Equal(ip) {
				n++
			}
		}
		f.Close()
	}
	return n, nil
}

// procIP decodes a /proc/net/tcp address: 32-bit words in host order.
func procIP(hexaddr string) net.IP {
	b := make([]byte, len(hexaddr)/2)
	for i := range b {
		v, err := strconv.ParseUint(hexaddr[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil
		}
		b[i] = byte(v)
	}
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b)
}
