package portdoctor

import (
	"fmt"
	"net"
	"strings"
)

// advise fills r.Advice from the rest of the report.
func advise(r *Report, port uint16) {
	var a []string
	add := func(format string, args ...any) { a = append(a, fmt.Sprintf(format, args...)) }
	host, _, _ := net.SplitHostPort(r.Addr)
	again := "reloader port " + r.Addr
	if r.Network == "udp" {
		again = "reloader port udp:" + r.Addr
	}
	switch r.Kind {
	case KindInUse:
		add("Another socket is bound to this address; only one listener may have it.")
		for _, h := range r.Holders {
			switch {
			case h.Stale:
				add("pid %d is a child left behind by an earlier reloader run in this directory: `reloader port --kill-stale %s` ends its process group.", h.PID, r.Addr)
			case h.Child != nil:
				add("pid %d is the child of reloader pid %d, still running in this directory: stop that reloader (Ctrl-C) or use another port.", h.PID, h.Child.Owner)
			case h.PID != 0:
				add("Stop pid %d (`kill %d`, or Ctrl-C where it runs), or choose another port.", h.PID, h.PID)
			default:
				add("Its owner (uid %d) is another user, whose /proc/<pid>/fd you cannot read: run `sudo %s` or `sudo ss -lnp 'sport = :%d'` to see the process.", h.UID, again, port)
			}
		}
		if len(r.Holders) == 0 && r.LookupErr == nil {
			add("No process holding it was found: it may have just exited (try again), or it runs in another network namespace or container.")
		}
	case KindPermission:
		if strings.HasPrefix(r.Errno, "WSA") {
			add("Windows refused the port: another process may hold it for exclusive use, or it is in a reserved range (`netsh int ipv4 show excludedportrange protocol=tcp`). Choose another port.")
			break
		}
		if port < 1024 {
			add("Ports below 1024 need root or CAP_NET_BIND_SERVICE. Use a port of 1024 or above (such as 8080) in development.")
			add("Or let the binary bind it: `sudo setcap cap_net_bind_service=+ep /path/to/binary` (lost on every rebuild), or lower the limit for the whole host: `sudo sysctl net.ipv4.ip_unprivileged_port_start=%d`.", port)
		} else {
			add("Port %d is not privileged, so a security policy (SELinux, AppArmor, a seccomp or container profile) refused the bind: check its logs, or choose another port.", port)
		}
	case KindNotAvailable:
		add("%s is not one of this host's addresses, so nothing here can bind it.", hostOrAll(host))
		if len(r.HostAddrs) > 0 {
			add("Use one of this host's addresses (%s), 127.0.0.1 for this machine only, or :%d for every address.", strings.Join(r.HostAddrs, ", "), port)
		}
	case KindInvalid:
		add("The kernel rejected the arguments: the socket is already bound, or the address does not fit the socket (such as an IPv6 address on an IPv4-only network). Check the address, e.g. 127.0.0.1:8080 or [::1]:8080.")
	case KindOther:
		add("The bind failed with an error reloader does not explain: %s.", r.bindMessage())
	}
	if r.Kind != KindNone {
		add("`%s` shows this diagnosis again.", again)
	}
	if r.TimeWait > 0 {
		add("%d TCP %s in TIME_WAIT on this address %s not block reloader: a bind with SO_REUSEADDR succeeds next to TIME_WAIT sockets, and Go sets SO_REUSEADDR on every Unix listener, as reloader does.",
			r.TimeWait, plural(r.TimeWait, "socket", "sockets"), plural(r.TimeWait, "does", "do"))
		add("A program that binds without SO_REUSEADDR gets EADDRINUSE until they expire, up to 60 s on Linux (2×MSL, TCP_TIMEWAIT_LEN): wait, or set SO_REUSEADDR before bind.")
		add("SO_REUSEPORT is something else: it lets several live sockets of the same user listen on one port and share its connections, so another process could take some of them; reloader sets it only with --reuseport.")
	}
	r.Advice = a
}

func hostOrAll(host string) string {
	if host == "" {
		return "The address"
	}
	return host
}
