package sockets

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Request is one message of the on-demand protocol an instrumented app
// speaks on RELOADER_HOOK_SOCKET: "listen tcp4 ADDR", "listen tcp6 ADDR
// v6only=0|1" (the app asks for its socket) or "ready ADDR" (its first
// accept on a socket it was handed). The zero Request is a listen request
// for no address.
type Request struct {
	// Ready is true for "ready ADDR", false for a listen request.
	Ready bool
	// Network is "tcp4" or "tcp6" in a listen request, "" in ready.
	Network string
	// Addr is the address, as the app's getsockname gave it.
	Addr netip.AddrPort
	// V6Only is IPV6_V6ONLY of the app's tcp6 socket; false for tcp4.
	V6Only bool
}

// ErrUnknownRequest is the reason for a message that is no request.
var ErrUnknownRequest = errors.New("unknown request")

// ParseRequest reads one message. The error's text is the reason of the
// "no" reply: ErrUnknownRequest for a message that is neither listen nor
// ready, "bad request: ..." for a malformed one, and "... not taken over"
// for a socket reloader leaves to the app (port 0, udp, unix, plain tcp
// without a family).
func ParseRequest(msg []byte) (Request, error) {
	f := strings.Fields(string(msg))
	if len(f) == 0 {
		return Request{}, ErrUnknownRequest
	}
	switch f[0] {
	case "ready":
		if len(f) != 2 {
			return Request{}, fmt.Errorf("bad request: ready takes one address, got %d fields", len(f)-1)
		}
		ap, err := netip.ParseAddrPort(f[1])
		if err != nil {
			return Request{}, fmt.Errorf("bad request: %w", err)
		}
		return Request{Ready: true, Addr: ap}, nil
	case "listen":
		return parseListen(f[1:])
	}
	return Request{}, ErrUnknownRequest
}

func parseListen(f []string) (Request, error) {
	if len(f) < 2 {
		return Request{}, errors.New("bad request: listen takes a network and an address")
	}
	r := Request{Network: f[0]}
	switch r.Network {
	case "tcp4", "tcp6":
	case "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket", "tcp":
		return Request{}, fmt.Errorf("network %s not taken over", r.Network)
	default:
		return Request{}, fmt.Errorf("bad request: unknown network %q", r.Network)
	}
	ap, err := netip.ParseAddrPort(f[1])
	if err != nil {
		return Request{}, fmt.Errorf("bad request: %w", err)
	}
	r.Addr = ap
	if ap.Port() == 0 {
		return Request{}, errors.New("port 0 not taken over")
	}
	opts := f[2:]
	if r.Network == "tcp4" {
		if !ap.Addr().Is4() {
			return Request{}, fmt.Errorf("bad request: tcp4 address %s is not IPv4", ap)
		}
		if len(opts) != 0 {
			return Request{}, fmt.Errorf("bad request: tcp4 takes no option, got %q", strings.Join(opts, " "))
		}
		return r, nil
	}
	if !ap.Addr().Is6() {
		return Request{}, fmt.Errorf("bad request: tcp6 address %s is not IPv6", ap)
	}
	if len(opts) != 1 {
		return Request{}, errors.New("bad request: tcp6 takes v6only=0 or v6only=1")
	}
	switch opts[0] {
	case "v6only=0":
	case "v6only=1":
		r.V6Only = true
		if ap.Addr().Is4In6() {
			return Request{}, fmt.Errorf("bad request: %s is IPv4-mapped, which a v6only socket cannot bind", ap)
		}
	default:
		return Request{}, fmt.Errorf("bad request: tcp6 option %q, want v6only=0 or v6only=1", opts[0])
	}
	return r, nil
}

// String returns the message that r parses from (without the reply).
func (r Request) String() string {
	switch {
	case r.Ready:
		return "ready " + r.Addr.String()
	case r.Network == "tcp6":
		v := "0"
		if r.V6Only {
			v = "1"
		}
		return "listen tcp6 " + r.Addr.String() + " v6only=" + v
	}
	return "listen " + r.Network + " " + r.Addr.String()
}
