package portdoctor

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"
)

// This file parses the output of lsof and netstat, which macOS uses. It is
// built everywhere so that its tests run on every platform.

// parseLsof parses `lsof -nP -F puLn` output: a 'p' line starts a process,
// 'u' and 'L' give its uid and login, each 'n' line names one socket. Only
// sockets on port are returned.
func parseLsof(out string, port uint16, state string) []sockEntry {
	var entries []sockEntry
	var pid, uid = 0, -1
	login := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		v := line[1:]
		switch line[0] {
		case 'p':
			pid, _ = strconv.Atoi(v)
			uid, login = -1, ""
		case 'u':
			if n, err := strconv.Atoi(v); err == nil {
				uid = n
			}
		case 'L':
			login = v
		case 'n':
			local, _, _ := strings.Cut(v, "->")
			ap, ok := parseHostPort(local, ":")
			if !ok || ap.Port() != port {
				continue
			}
			entries = append(entries, sockEntry{local: ap, state: state, uid: uid, user: login,
				procs: []procInfo{{pid: pid}}})
		}
	}
	return entries
}

// parseNetstat parses `netstat -an -p tcp` output (macOS, BSD), where the
// local address is the fourth column, written "127.0.0.1.8080", and the
// state the last. It returns the sockets on port.
func parseNetstat(out string, port uint16) []sockEntry {
	var entries []sockEntry
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[0], "tcp") {
			continue
		}
		ap, ok := parseHostPort(f[3], ".")
		if !ok || ap.Port() != port {
			continue
		}
		entries = append(entries, sockEntry{local: ap, state: f[len(f)-1], uid: -1})
	}
	return entries
}

// parseHostPort parses "host<sep>port"; a host of "*" is the dual-stack
// wildcard "::", and a zone is dropped.
func parseHostPort(s, sep string) (netip.AddrPort, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return netip.AddrPort{}, false
	}
	host, portStr := strings.Trim(s[:i], "[]"), s[i+1:]
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	if host == "*" {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(port)), true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.WithZone(""), uint16(port)), true
}
