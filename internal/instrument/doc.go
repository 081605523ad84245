// Package instrument holds the Go file reloader adds to an app's main
// package when it builds a `go run` command itself, and writes the
// `go build -overlay` file that adds it.
//
// The file (hook.go.tmpl, embedded) wraps the standard library's socket
// hooks with //go:linkname: net.socketFunc, net.connectFunc, net.listenFunc
// (net/hook_unix.go) and internal/poll.Accept4Func
// (internal/poll/hook_cloexec.go). The build must link with
// -ldflags=-checklinkname=0. The file compiles on Linux only; elsewhere
// reloader does not instrument.
//
// In the built app:
//
//   - every TCP socket gets SO_REUSEPORT, so its bind succeeds next to the
//     socket reloader holds for the same address;
//   - a connect clears it again first;
//   - a listen on a non-zero port, when RELOADER_HOOK_SOCKET names reloader's
//     unix SOCK_SEQPACKET socket, asks reloader for its socket of that
//     address ("listen tcp4 127.0.0.1:8080", or "listen tcp6 [::]:8080
//     v6only=0"). On "ok" the fd that comes with the reply is dup3'ed over
//     the app's socket and the real listen is skipped; on any other reply,
//     or without RELOADER_HOOK_SOCKET, SO_REUSEPORT is cleared and the app
//     listens on its own socket as it would have;
//   - the first accept on a socket reloader handed over sends
//     "ready ADDR" (no reply).
//
// RELOADER_HOOK_SOCKET is read once, before the app's own package-level
// variables and init functions, and removed from the environment. When it
// is set, LISTEN_FDS is set and LISTEN_PID is not, the file sets LISTEN_PID
// to the app's pid: reloader starts an instrumented app without its exec
// shim (a second Go program's start, about 30 ms). Without
// it the hooks cost a setsockopt per TCP socket and nothing else.
//
// The file is written into reloader's private build directory (Write);
// the overlay (Overlay) maps it to FileName in the package directory, so
// the user's tree is never written.
package instrument
