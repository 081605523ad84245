package supervisor

import "github.com/reloader-dev/reloader/internal/sockets"

// ListenOptions tune how sockets are opened. The zero value sets
// SO_REUSEADDR (as Go always does on Unix) and not SO_REUSEPORT, retries a
// bind for portdoctor.DefaultRetryWait, and gives unix socket files
// DefaultUnixMode.
type ListenOptions = sockets.ListenOptions

// DefaultUnixMode is the permission of unix socket files when
// ListenOptions.UnixMode (Config.UnixSocketMode) is 0.
const DefaultUnixMode = sockets.DefaultUnixMode

// ListenError reports a socket the supervisor could not open.
type ListenError = sockets.ListenError

// InheritedSocket is a socket the supervisor did not open: one passed to
// reloader by systemd socket activation, or by the reloader it upgrades
// from.
type InheritedSocket = sockets.InheritedSocket

// ServingSocket is the socket that currently serves an address.
type ServingSocket = sockets.ServingSocket
