// Package sdnotify receives the sd_notify messages of supervised children:
// one NOTIFY_SOCKET per child, and a ready channel closed on its READY=1.
//
// [NewDir] makes the private directory the sockets live in: created by
// [os.MkdirTemp], so it belongs to this process alone, and chmod 0700, so
// no other user can reach a socket in it. The caller removes it when done.
// [Listen] opens one child's socket there, named after the child's
// generation; its [Socket.Env] is the NOTIFY_SOCKET value to pass on.
// [Socket.Serve] reads the socket until [Socket.Close], and closes
// [Socket.Ready] on the first READY=1 line. Other messages (STATUS=,
// WATCHDOG=1, ...) are read and ignored. Every fd a datagram carries is
// closed once its message is handled: that answers BARRIER=1 (what
// `systemd-notify --ready` waits for), and drops FDSTORE=1.
//
// # Who may send
//
// On Linux the socket has SO_PASSCRED, so the kernel attaches the sender's
// pid to every datagram. A message from a process outside the child's
// process group is ignored with a warning, and so is one without
// credentials. A sender that has already exited and been reaped when its
// datagram is read has no group left to check: its message is accepted
// when the kernel says it ran as this user (the only one who can reach the
// private directory) and the child's group still exists. A datagram
// without credentials is refused: once SO_PASSCRED is set the kernel
// attaches them to every datagram, so one without is not the child's.
// Other Unix systems do not tell the sender, and every message is
// accepted.
//
// # Platforms
//
// On Windows children get no NOTIFY_SOCKET: [NewDir] returns "", [Listen]
// returns a nil *Socket, and every method of a nil *Socket does nothing
// ([Socket.Ready] is then nil, a channel that is never closed).
package sdnotify
