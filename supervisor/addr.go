package supervisor

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/reloader-dev/reloader/internal/sockets"
)

// ErrBadAddress is wrapped by every address parse error.
var ErrBadAddress = errors.New("supervisor: bad listen address")

// Address is one socket the supervisor owns, as written after -l/--listen:
// see ParseAddress for the forms it accepts.
type Address = sockets.Address

// ParseAddress parses one -l/--listen value. The accepted forms are
// "host:port", ":port", "[::1]:port" (TCP), "udp:host:port" (a datagram
// socket) and "unix:/path/app.sock", each optionally prefixed by "NAME=",
// which names the socket in LISTEN_FDNAMES. The error names the value and
// wraps ErrBadAddress.
func ParseAddress(s string) (Address, error) {
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("%w %q: %s", ErrBadAddress, s, why)
	}
	var a Address
	rest := strings.TrimSpace(s)
	if rest == "" {
		return bad("empty")
	}
	// A name is a prefix before "=" that holds no ':' or '/', so that
	// "unix:/a=b.sock" keeps its path.
	if i := strings.IndexByte(rest, '='); i >= 0 && !strings.ContainsAny(rest[:i], ":/[") {
		a.Name, rest = rest[:i], rest[i+1:]
		if a.Name == "" {
			return bad("empty name before '='")
		}
		for _, r := range a.Name {
			if r <= ' ' || r == 0x7f {
				return bad("name has a space or control character")
			}
		}
	}
	if path, ok := strings.CutPrefix(rest, "unix:"); ok {
		if path == "" {
			return bad("unix: needs a path")
		}
		if strings.ContainsRune(path, 0) {
			return bad("path has a NUL byte")
		}
		if len(path) > 107 {
			return bad("unix socket path is longer than 107 bytes")
		}
		a.Network, a.Addr = "unix", path
		return a, nil
	}
	a.Network = "tcp"
	if hp, ok := strings.CutPrefix(rest, "udp:"); ok {
		a.Network, rest = "udp", hp
	} else if hp, ok := strings.CutPrefix(rest, "tcp:"); ok {
		rest = hp
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return bad(strings.TrimPrefix(err.Error(), "address "+rest+": "))
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return bad("port must be a number from 0 to 65535")
	}
	if _, err := netip.ParseAddr(host); host != "" && err != nil && !isHostName(host) {
		// A host name is allowed, but it must look like one.
		return bad("host " + strconv.Quote(host) + " is not an IP address or host name")
	}
	a.Addr = net.JoinHostPort(host, port)
	return a, nil
}

// ParseAddresses parses every value and gives unnamed sockets their default
// names. Two sockets may not share a name.
func ParseAddresses(values []string) ([]Address, error) {
	out := make([]Address, 0, len(values))
	seen := map[string]bool{}
	for _, v := range values {
		a, err := ParseAddress(v)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	for i := range out {
		if out[i].Name != "" {
			if seen[out[i].Name] {
				return nil, fmt.Errorf("%w %q: name %q is used twice", ErrBadAddress, values[i], out[i].Name)
			}
			seen[out[i].Name] = true
		}
	}
	for i := range out {
		if out[i].Name == "" {
			// go-systemd's activation gives unnamed fds this name too.
			out[i].Name = "LISTEN_FD_" + strconv.Itoa(3+i)
		}
	}
	return out, nil
}

// isHostName reports whether h is made of the letters, digits, '-', '_'
// and '.' that host names use, with at least one letter or digit.
func isHostName(h string) bool {
	alnum := false
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			alnum = true
		case r == '-' || r == '_' || r == '.':
		default:
			return false
		}
	}
	return alnum
}
