package procnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Sizes of the sock_diag structures (linux/inet_diag.h).
const (
	diagReqLen  = 56 // struct inet_diag_req_v2
	diagMsgLen  = 72 // struct inet_diag_msg
	diagSockID  = 48 // struct inet_diag_sockid
	diagIDStart = 4  // offset of the sockid in both

	inetDiagInfo = 2 // INET_DIAG_INFO: the attribute carrying struct tcp_info
)

// diag dumps the TCP sockets of both families in the given states over
// NETLINK_SOCK_DIAG and keeps those whose local port is port.
func diag(network string, port uint16, states []State) ([]Entry, error) {
	if network != "tcp" {
		return nil, fmt.Errorf("procnet: sock_diag of %q: only tcp", network)
	}
	mask := uint32(0xfff) // every TCP state
	if len(states) > 0 {
		mask = 0
		for _, s := range states {
			mask |= 1 << s
		}
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, os.NewSyscallError("socket(NETLINK_SOCK_DIAG)", err)
	}
	defer unix.Close(fd)
	var out []Entry
	for _, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		es, err := diagDump(fd, family, mask, port)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// diagDump sends one dump request and reads its answer to the end.
func diagDump(fd int, family uint8, mask uint32, port uint16) ([]Entry, error) {
	req := make([]byte, unix.NLMSG_HDRLEN+diagReqLen)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1) // sequence
	body := req[unix.NLMSG_HDRLEN:]
	body[0], body[1] = family, unix.IPPROTO_TCP
	body[2] = 1 << (inetDiagInfo - 1) // idiag_ext: tcp_info
	binary.NativeEndian.PutUint32(body[4:], mask)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, os.NewSyscallError("sendto(NETLINK_SOCK_DIAG)", err)
	}
	var out []Entry
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, os.NewSyscallError("recvfrom(NETLINK_SOCK_DIAG)", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("procnet: sock_diag: %w", err)
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
						return nil, fmt.Errorf("procnet: sock_diag: %w", unix.Errno(-errno))
					}
				}
				return nil, errors.New("procnet: sock_diag: error message")
			case unix.SOCK_DIAG_BY_FAMILY:
				if e, ok := parseDiagMsg(m.Data); ok && e.Local.Port() == port {
					out = append(out, e)
				}
			}
		}
	}
}

// parseDiagMsg decodes a struct inet_diag_msg. Ports are big-endian, the
// addresses in network order, the rest in the machine's order.
func parseDiagMsg(b []byte) (Entry, bool) {
	if len(b) < diagMsgLen {
		return Entry{}, false
	}
	family, state := b[0], b[1]
	id := b[diagIDStart : diagIDStart+diagSockID]
	addr := func(raw []byte) netip.Addr {
		if family == unix.AF_INET {
			return netip.AddrFrom4([4]byte(raw[:4]))
		}
		return netip.AddrFrom16([16]byte(raw[:16]))
	}
	rest := b[diagIDStart+diagSockID:]
	var traffic Traffic
	if info := diagAttr(b[diagMsgLen:], inetDiagInfo); info != nil {
		var ti unix.TCPInfo
		n := copy(unsafe.Slice((*byte)(unsafe.Pointer(&ti)), unsafe.Sizeof(ti)), info)
		// A kernel before 4.19 sends a shorter tcp_info, without bytes_sent.
		if n >= int(unsafe.Offsetof(ti.Bytes_sent)+unsafe.Sizeof(ti.Bytes_sent)) {
			traffic = Traffic{Known: true, Received: ti.Bytes_received, Sent: ti.Bytes_sent}
		}
	}
	return Entry{
		Local:   netip.AddrPortFrom(addr(id[4:20]), binary.BigEndian.Uint16(id[0:])),
		Remote:  netip.AddrPortFrom(addr(id[20:36]), binary.BigEndian.Uint16(id[2:])),
		State:   State(state),
		RxQueue: int(binary.NativeEndian.Uint32(rest[4:])),
		UID:     int(binary.NativeEndian.Uint32(rest[12:])),
		Inode:   uint64(binary.NativeEndian.Uint32(rest[16:])),
		Traffic: traffic,
	}, true
}

// diagAttr returns the payload of the first netlink attribute of type typ
// in b, or nil.
func diagAttr(b []byte, typ uint16) []byte {
	for len(b) >= unix.SizeofRtAttr {
		l := int(binary.NativeEndian.Uint16(b[0:]))
		t := binary.NativeEndian.Uint16(b[2:])
		if l < unix.SizeofRtAttr || l > len(b) {
			return nil
		}
		if t == typ {
			return b[unix.SizeofRtAttr:l]
		}
		b = b[min((l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1), len(b)):]
	}
	return nil
}
