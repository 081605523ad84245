// Package portdoctor explains why a socket cannot be bound, and says what
// to do about it.
//
// [Diagnose] tries a bind the way reloader does (SO_REUSEADDR, and for TCP a
// listen), closes it, and returns a [Report]: the errno in plain words, every
// process holding a socket on the address (pid, user, command line), how many
// TCP sockets sit in TIME_WAIT there and whether they matter, and advice.
// [Wrap] turns a failed bind into a [*BindError] that carries the report, so
// a caller can print the one-line summary or the whole diagnosis.
// [Retry.Listen] retries a bind that fails with EADDRINUSE for a bounded time
// and then fails with that diagnosis.
//
// Who holds a port is read from /proc/net/{tcp,tcp6,udp,udp6} and
// /proc/<pid>/fd on Linux and from lsof on macOS; elsewhere the report says
// that lookup is not available on this platform.
//
// # Children left behind
//
// A [Registry] records the pids (and start times, so a reused pid is never
// mistaken for a recorded one) of the children a reloader run starts, keyed
// by the working directory. When the holder of an address is a child
// recorded by an earlier reloader run that is no longer running, the report
// names it as a child left behind, and [KillStale] ends its process group.
//
// The record is a JSON file outside the project, so it never litters a
// repository: $XDG_RUNTIME_DIR/reloader/children-<hash>.json, or, when
// XDG_RUNTIME_DIR is unset, <os.UserCacheDir()>/reloader/children-<hash>.json,
// where <hash> is derived from the absolute working directory.
//
// # TIME_WAIT, SO_REUSEADDR and SO_REUSEPORT
//
// A bind with SO_REUSEADDR succeeds next to TIME_WAIT sockets. Go sets it on
// every listener on Unix, and so does reloader, so TIME_WAIT alone never
// blocks either. A program that binds without it must wait until the
// TIME_WAIT sockets expire (60 s on Linux, TCP_TIMEWAIT_LEN) or set it.
// SO_REUSEPORT is something else: it lets several live sockets of the same
// user listen on one port and share its connections; reloader keeps it
// opt-in.
package portdoctor
