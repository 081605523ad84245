// Package listenfd lets a network server take over listening sockets from
// the process that started it, and tell that process when it is ready, so
// that the server can be restarted without refusing or dropping a single
// connection.
//
// # Adopting it
//
// Replace net.Listen with [Listen]; this one line is all most servers need:
//
//	ln, err := listenfd.Listen("tcp", ":8080") // was: net.Listen("tcp", ":8080")
//	if err != nil {
//		return err
//	}
//	return srv.Serve(ln)
//
// To also stop without dropping requests that were already accepted, serve
// with [Serve] (or a [Drainer]) instead of [http.Server.Serve]:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	return listenfd.Serve(ctx, srv, ln)
//
// # How it works
//
// The package implements the two halves of the systemd protocols that a
// service uses:
//
//   - Socket activation (sd_listen_fds): the parent passes N sockets as file
//     descriptors 3 to 3+N-1 and sets LISTEN_FDS=N, optionally
//     LISTEN_PID=<pid of the process meant to use them> and
//     LISTEN_FDNAMES=name1:name2:...; unnamed descriptors are called
//     "LISTEN_FD_<n>" (n being the descriptor number, as in go-systemd).
//   - Readiness notification (sd_notify): NOTIFY_SOCKET names a Unix datagram
//     socket, by path or as "@name" in the Linux abstract namespace, to which
//     the service sends "READY=1" once it serves.
//
// [Listen] returns the inherited socket whose name equals its address
// argument or whose local address matches it, and binds the address itself
// when none does. Listeners it returns send READY=1 on their first Accept, so
// readiness means "the server has started accepting" without any extra code.
// [Listeners] and [Files] return all inherited sockets, [Ready] and [Notify]
// send notifications explicitly.
//
// # Under reloader
//
// The reloader supervisor binds the sockets once and passes them to every
// generation of the application. When a rebuilt child is started, both the
// old and the new child accept connections from the same sockets; once the
// new child reports READY=1 (on its first Accept), the supervisor sends
// SIGTERM to the old one, which stops accepting and finishes what it has
// accepted. The sockets are never closed, so no connection is refused, and
// [Drainer] makes sure that none that the old child accepted is dropped.
//
// # Under systemd
//
// With a .socket unit (ListenStream=8080, optionally FileDescriptorName=http)
// and Type=notify in the service unit, the same binary receives its sockets
// from systemd and reports readiness to it. Listen("tcp", ":8080") or
// Listen("tcp", "http") picks the socket. It also works with other tools
// speaking the protocol, such as systemfd and watchexec, which set no
// LISTEN_PID.
//
// # Standalone
//
// Without LISTEN_FDS, Listen simply binds the address (with SO_REUSEADDR on
// Unix TCP sockets, like Go's default) and readiness notification does
// nothing, so the program behaves exactly as with net.Listen. On Windows,
// which has no descriptor inheritance of this kind, that is always the case.
//
// # Process state
//
// The inherited descriptors and the environment are process-global, so the
// package reads LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES and NOTIFY_SOCKET
// once, on first use of any function, and caches the result; this cache is
// its only package-level state. After reading, it removes
// LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES from the environment (so this
// process's own children do not try to use them) and sets FD_CLOEXEC on the
// inherited descriptors (so children do not inherit them). NOTIFY_SOCKET
// stays in the environment, as systemd leaves it to its services, so other
// sd_notify clients in the process (go-systemd's daemon.SdNotify for
// watchdog pings) keep working; start children that must not notify for
// this process with [ChildEnviron] as their environment. The package keeps the inherited descriptors open for the
// life of the process; everything it returns is a duplicate, so closing a
// returned listener or file closes only that copy, and the socket itself
// stays open in the supervisor and in the other processes sharing it.
// Descriptors are never switched to blocking mode: the open file description,
// and so its O_NONBLOCK flag, is shared with those processes.
//
// A missing LISTEN_PID is accepted. A LISTEN_PID naming another process
// means the descriptors are not this process's: they are ignored (Listen
// binds by itself), and Listeners and Files report an error wrapping
// [ErrPIDMismatch]. Malformed values of LISTEN_FDS or LISTEN_PID are
// reported as an [*EnvError], and descriptors that are not sockets as an
// [*FDError] wrapping [ErrNotSocket]. The package never exits or panics.
//
// # Draining
//
// [http.Server.Shutdown] closes, without an answer, any connection whose
// request it reads after shutdown began (golang/go#65802). During a restart
// that happens to connections the old process accepted just before being
// told to stop, and clients do not retry requests on fresh connections.
// [Drainer] and [Serve] stop accepting first, wait until every accepted
// connection's request has reached its handler, and only then call
// Shutdown; see [Drainer] for the details and the remaining, client-retried,
// keep-alive race.
package listenfd
