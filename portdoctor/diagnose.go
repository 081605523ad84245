package portdoctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/user"
	"strconv"
	"strings"

	"github.com/reloader-dev/reloader/internal/proc"
)

// ErrBadAddress is wrapped by every error about an address or network that
// cannot be diagnosed.
var ErrBadAddress = errors.New("portdoctor: bad address")

// ErrNotAvailable is wrapped when looking up who holds a port is not
// available on this platform.
var ErrNotAvailable = errors.New("portdoctor: looking up who holds a port is not available on this platform")

// Options tune a diagnosis. The zero value uses the current directory's
// Registry.
type Options struct {
	// Dir is the working directory whose Registry names children left
	// behind by earlier reloader runs. "" means the current directory.
	Dir string
}

// Diagnose tries to bind network ("tcp" or "udp") addr ("host:port",
// ":port" or "[::1]:port") the way reloader does, closes the socket, and
// explains the result. The error is non-nil only for a bad network or
// address; a failed bind is described in the Report.
func Diagnose(ctx context.Context, network, addr string) (*Report, error) {
	return Options{}.Diagnose(ctx, network, addr)
}

// Diagnose is Diagnose with these options.
func (o Options) Diagnose(ctx context.Context, network, addr string) (*Report, error) {
	if _, err := parsePort(network, addr); err != nil {
		return nil, err
	}
	return o.Explain(ctx, network, addr, trialBind(ctx, network, addr)), nil
}

// Explain diagnoses a bind of network addr that failed with bindErr (nil
// for one that succeeded) without binding again.
func (o Options) Explain(ctx context.Context, network, addr string, bindErr error) *Report {
	r := &Report{Network: network, Addr: addr, BindErr: bindErr}
	r.Kind, r.Errno, r.ErrnoNum = Classify(bindErr)
	port, err := parsePort(network, addr)
	if err != nil {
		r.LookupErr = err
		advise(r, 0)
		return r
	}
	host, _, _ := net.SplitHostPort(addr)
	targets := resolve(ctx, host)
	entries, err := lookupSockets(ctx, network, port)
	if err != nil {
		r.LookupErr = err
	}
	users := map[int]string{}
	for _, e := range entries {
		if !conflicts(targets, e.local.Addr()) {
			continue
		}
		if network == "tcp" && e.state == "TIME_WAIT" {
			r.TimeWait++
			continue
		}
		if network == "tcp" && e.state != "LISTEN" && e.state != "CLOSE" {
			continue
		}
		h := Holder{UID: e.uid, User: e.user, Inode: e.inode, State: e.state, Local: e.local.String()}
		if h.User == "" && h.UID >= 0 {
			h.User = lookupUser(users, h.UID)
		}
		if len(e.procs) == 0 {
			r.Holders = append(r.Holders, h)
		}
		for _, p := range e.procs {
			h.PID, h.Cmdline = p.pid, p.cmdline
			r.Holders = append(r.Holders, h)
		}
	}
	o.markChildren(r)
	if r.Kind == KindNotAvailable {
		r.HostAddrs = hostAddrs()
	}
	advise(r, port)
	return r
}

// markChildren names holders that a reloader run in o.Dir recorded.
func (o Options) markChildren(r *Report) {
	if len(r.Holders) == 0 {
		return
	}
	reg, err := OpenRegistry(o.Dir)
	if err != nil {
		return
	}
	children, err := reg.Children()
	if err != nil {
		return
	}
	for i := range r.Holders {
		h := &r.Holders[i]
		if h.PID == 0 {
			continue
		}
		pgid := proc.Group(h.PID)
		for _, c := range children {
			if (c.PID == h.PID || c.PID == pgid) && c.Running() {
				c := c
				h.Child = &c
				h.Stale = !c.OwnerRunning()
				break
			}
		}
	}
}

// trialBind binds and closes the address. TCP listens as reloader does:
// Go sets SO_REUSEADDR on every Unix listener. UDP binds as
// net.ListenPacket does, without SO_REUSEADDR, which on Linux would let two
// live UDP sockets share the port and so would test nothing.
func trialBind(ctx context.Context, network, addr string) error {
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	if network == "udp" {
		pc, err := lc.ListenPacket(ctx, network, addr)
		if err != nil {
			return err
		}
		return pc.Close()
	}
	ln, err := lc.Listen(ctx, network, addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

// parsePort checks network and addr and returns the port.
func parsePort(network, addr string) (uint16, error) {
	if network != "tcp" && network != "udp" {
		return 0, fmt.Errorf("%w: network %q is not tcp or udp", ErrBadAddress, network)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("%w %q: %w", ErrBadAddress, addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%w %q: port must be a number from 0 to 65535", ErrBadAddress, addr)
	}
	return uint16(n), nil
}

// ParseTarget parses an address as `reloader port` takes it: "host:port",
// ":port", "[::1]:port" or a bare "port", optionally prefixed by "tcp:" or
// "udp:". The port must be 1 to 65535.
func ParseTarget(s string) (network, addr string, err error) {
	network, addr = "tcp", strings.TrimSpace(s)
	for _, n := range []string{"tcp", "udp"} {
		if rest, ok := strings.CutPrefix(addr, n+":"); ok && strings.Contains(rest, ":") {
			network, addr = n, rest
			break
		}
	}
	if _, err := strconv.ParseUint(addr, 10, 16); err == nil {
		addr = ":" + addr
	}
	port, err := parsePort(network, addr)
	if err != nil {
		return "", "", fmt.Errorf("%w (use host:port, :port, [::1]:port or udp:host:port)", err)
	}
	if port == 0 {
		return "", "", fmt.Errorf("%w %q: port 0 picks a free port at random, so it is always free", ErrBadAddress, s)
	}
	return network, addr, nil
}

// resolve returns the IPs host stands for; nil means every address.
func resolve(ctx context.Context, host string) []netip.Addr {
	if host == "" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return nil // unknown: match the port on every address
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips
}

// conflicts reports whether a socket bound to local blocks a bind of any of
// targets (nil: every address, as ":port" binds). Wildcards conflict with
// their family; "::" is dual-stack and conflicts with everything.
func conflicts(targets []netip.Addr, local netip.Addr) bool {
	local = local.Unmap()
	if targets == nil || (local.IsUnspecified() && local.Is6()) {
		return true
	}
	for _, t := range targets {
		switch {
		case t == local:
			return true
		case t.IsUnspecified() && (t.Is6() || local.Is4()):
			return true
		case local.IsUnspecified() && t.Is4():
			return true
		}
	}
	return false
}

func lookupUser(cache map[int]string, uid int) string {
	if name, ok := cache[uid]; ok {
		return name
	}
	name := ""
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		name = u.Username
	}
	cache[uid] = name
	return name
}

// hostAddrs lists the IPs of this host's interfaces.
func hostAddrs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().String())
		} else {
			out = append(out, a.String())
		}
	}
	return out
}

// sockEntry is one socket on the port, from the platform's socket table.
type sockEntry struct {
	local netip.AddrPort
	state string // LISTEN, CLOSE, TIME_WAIT, ... for TCP; UNCONN or ESTAB for UDP
	uid   int    // -1 unknown
	user  string // "" unknown
	inode uint64 // 0 unknown
	procs []procInfo
}

type procInfo struct {
	pid     int
	cmdline string
}
