package procnet

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Dir is where the kernel publishes its socket tables.
const Dir = "/proc/net"

// Entry is one row of a socket table.
type Entry struct {
	// Local is the address and port the socket is bound to.
	Local netip.AddrPort
	// Remote is the peer: the unspecified address and port 0 for a
	// listener or an unconnected udp socket.
	Remote netip.AddrPort
	// State is the kernel's state of the socket.
	State State
	// UID is the user that owns the socket.
	UID int
	// Inode identifies the socket; 0 when no file refers to it any more
	// (a TIME_WAIT socket, say, or a connection still in an accept queue).
	Inode uint64
	// RxQueue is the number of received bytes the owner has not read yet
	// (for a listener, the connections in its accept queue).
	RxQueue int
	// Traffic is what a TCP connection has carried, where the kernel said
	// (sock_diag); Read leaves it zero.
	Traffic Traffic
}

// Traffic counts the bytes a TCP connection has carried, from the kernel's
// tcp_info. The zero value means unknown.
type Traffic struct {
	Known    bool   // the kernel reported it
	Received uint64 // bytes received (tcpi_bytes_received)
	Sent     uint64 // bytes sent, retransmissions included (tcpi_bytes_sent, Linux 4.19)
}

// Unanswered reports whether the connection has sent nothing yet: a
// request read and not yet answered, or a connection whose first request
// has not arrived (a client that connected and has not written yet).
// Unknown traffic is never unanswered.
func (t Traffic) Unanswered() bool { return t.Known && t.Sent == 0 }

// Read parses Dir/network and, where the kernel has IPv6, Dir/network6,
// and returns the sockets whose local port is port. network is "tcp" or
// "udp". Errors name the table.
func Read(network string, port uint16) ([]Entry, error) {
	var out []Entry
	for _, name := range []string{network, network + "6"} {
		path := filepath.Join(Dir, name)
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) && name != network {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("procnet: %w", err)
		}
		es, err := parse(f, func(a netip.AddrPort) bool { return a.Port() == port })
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("procnet: %s: %w", path, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// Parse parses one table, its header line first, and returns the entries
// whose local port is port. Rows with fewer than ten fields are skipped; a
// row whose address, state, uid or inode does not parse is an error.
func Parse(r io.Reader, port uint16) ([]Entry, error) {
	out, err := parse(r, func(a netip.AddrPort) bool { return a.Port() == port })
	if err != nil {
		return nil, fmt.Errorf("procnet: %w", err)
	}
	return out, nil
}

// parse returns the entries whose local address keep accepts.
func parse(r io.Reader, keep func(netip.AddrPort) bool) ([]Entry, error) {
	var out []Entry
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
		local, err := ParseAddr(f[1])
		if err != nil {
			return nil, err
		}
		if !keep(local) {
			continue
		}
		remote, err := ParseAddr(f[2])
		if err != nil {
			return nil, err
		}
		state, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("state %q: %w", f[3], err)
		}
		uid, err := strconv.Atoi(f[7])
		if err != nil {
			return nil, fmt.Errorf("uid %q: %w", f[7], err)
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inode %q: %w", f[9], err)
		}
		_, rxHex, _ := strings.Cut(f[4], ":") // tx_queue:rx_queue
		rx, err := strconv.ParseUint(rxHex, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("rx_queue %q: %w", f[4], err)
		}
		out = append(out, Entry{Local: local, Remote: remote, State: State(state), UID: uid, Inode: inode, RxQueue: int(rx)})
	}
	return out, sc.Err()
}

// ParseAddr parses an address as the tables print it: "0100007F:1F90", or
// 32 hex digits and a port for IPv6. Each 32-bit word of the address is in
// the machine's byte order; the port is big-endian hex.
func ParseAddr(s string) (netip.AddrPort, error) {
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
