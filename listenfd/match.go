package listenfd

import (
	"net"
	"strings"
)

// networkOK reports whether a socket whose local address is la can serve as
// a listener for network as passed to [net.Listen]: "tcp" matches IPv4 and
// IPv6 stream sockets, "tcp4" and "tcp6" only their family, "unix" and
// "unixpacket" Unix-domain stream and seqpacket sockets.
func networkOK(network string, la net.Addr) bool {
	switch a := la.(type) {
	case *net.TCPAddr:
		switch network {
		case "tcp":
			return true
		case "tcp4":
			return len(a.IP) == net.IPv4len
		case "tcp6":
			return len(a.IP) == net.IPv6len
		}
	case *net.UnixAddr:
		return (network == "unix" || network == "unixpacket") && a.Net == network
	}
	return false
}

// matchAddr reports whether an inherited listener whose local address is la
// satisfies Listen(network, addr):
//
//   - TCP: the ports are equal (and not 0), and addr's host is empty, an
//     unspecified address ("0.0.0.0", "::"), or equal to la's IP; a host
//     name is resolved with lookup and matches if any of its IPs is equal.
//   - Unix: the paths are equal ("@name" for the abstract namespace).
//
// A listener on a wildcard address does not match a request for a specific
// host: that would serve on more interfaces than asked for.
func matchAddr(network, addr string, la net.Addr, lookup func(host string) ([]net.IP, error)) bool {
	if !networkOK(network, la) {
		return false
	}
	switch a := la.(type) {
	case *net.UnixAddr:
		return addr != "" && addr == a.Name
	case *net.TCPAddr:
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return false
		}
		p, err := net.LookupPort(network, port)
		if err != nil || p == 0 || p != a.Port {
			return false
		}
		if host == "" {
			return true
		}
		if ip := net.ParseIP(stripZone(host)); ip != nil {
			return ip.IsUnspecified() || ip.Equal(a.IP)
		}
		if lookup == nil {
			return false
		}
		ips, err := lookup(host)
		if err != nil {
			return false
		}
		for _, ip := range ips {
			if ip.Equal(a.IP) {
				return true
			}
		}
	}
	return false
}

func stripZone(host string) string {
	if i := strings.LastIndexByte(host, '%'); i >= 0 {
		return host[:i]
	}
	return host
}
