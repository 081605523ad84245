//go:build !linux

package supervisor

import "net"

// onDemandListener: sockets on demand are Linux only.
func onDemandListener() net.Listener { panic("test child: sockets on demand are Linux only") }
