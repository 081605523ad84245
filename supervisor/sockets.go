package supervisor

import "github.com/reloader-dev/reloader/internal/sockets"

// ListenError reports a socket the supervisor could not open.
type ListenError = sockets.ListenError

// InheritedSocket is a socket the supervisor did not open: one passed to
// reloader by systemd socket activation, or by the reloader it upgrades
// from.
type InheritedSocket = sockets.InheritedSocket

// ServingSocket is the socket that currently serves an address.
type ServingSocket = sockets.ServingSocket
