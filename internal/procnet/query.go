package procnet

import "slices"

// Query returns the sockets of network ("tcp") whose local port is port
// and whose state is one of states. On Linux it asks the kernel over
// NETLINK_SOCK_DIAG, which filters by state itself, so its cost does not
// grow with the sockets in other states: a loaded server's thousands of
// TIME_WAIT entries, which make a full read of /proc/net/tcp take a long
// time. Elsewhere, or where sock_diag is refused, it filters what Read
// returns. No states means every state.
func Query(network string, port uint16, states ...State) ([]Entry, error) {
	if es, err := diag(network, port, states); err == nil {
		return es, nil
	}
	es, err := Read(network, port)
	if err != nil || len(states) == 0 {
		return es, err
	}
	return slices.DeleteFunc(es, func(e Entry) bool { return !slices.Contains(states, e.State) }), nil
}
