package sockets

import "syscall"

// Address is one socket a Set owns, as written after reloader's
// -l/--listen. The zero Address names no socket.
type Address struct {
	// Name goes into LISTEN_FDNAMES. Empty means the name go-systemd gives
	// an unnamed fd: "LISTEN_FD_3" for the first socket, and so on.
	Name string
	// Network is "tcp", "udp" or "unix".
	Network string
	// Addr is "host:port" for tcp and udp, or the socket path for unix.
	Addr string
}

// String returns the address as -l/--listen accepts it: "NAME=" if named,
// then "host:port" for tcp, or the network, ':' and Addr for udp and unix.
func (a Address) String() string {
	s := a.Addr
	if a.Network != "tcp" {
		s = a.Network + ":" + a.Addr
	}
	if a.Name != "" {
		s = a.Name + "=" + s
	}
	return s
}

// InheritedSocket is a socket the Set did not open: one passed to reloader
// by systemd socket activation, or by the reloader it upgrades from.
type InheritedSocket struct {
	// Address names the socket. Name goes into LISTEN_FDNAMES; Network
	// and Addr describe it.
	Address
	// Conn is the socket: a *net.TCPListener, *net.UnixListener or
	// *net.UDPConn. The Set owns it from Open on.
	Conn syscall.Conn
	// Busy means a child of another process still serves on it (an
	// upgrade in progress). The first child then gets a socket of its own
	// where steering is possible, and the socket is kept until
	// ReleaseInherited. false means no other process uses it.
	Busy bool
	// Keep means another process keeps the socket for good (systemd, which
	// passes it again at the next start): it is never shut down, only
	// parked, idle, when a swap retires it. A socket that is not Busy is
	// always kept.
	Keep bool
	// Asked means a child asked for the address on demand (the reloader
	// it comes from set ServingSocket.Asked): it stays out of LISTEN_FDS,
	// and a generation gets it by asking. false means it is handed to
	// every child in LISTEN_FDS.
	Asked bool
}

// ServingSocket is the socket that currently serves an address.
type ServingSocket struct {
	Address
	// Conn is the serving listener or datagram socket; it stays owned by
	// the Set.
	Conn syscall.Conn
	// Keep is InheritedSocket.Keep: the socket came from systemd, so the
	// reloader it is handed to must never shut it down.
	Keep bool
	// Asked means a child asked for the address on demand; see
	// InheritedSocket.Asked.
	Asked bool
}
