// Package sockets owns the listening sockets that reloader hands to each
// generation of the app, and steers new connections between generations.
//
// [Open] opens every address once: first the [InheritedSocket]s (systemd
// socket activation, or the reloader being upgraded), then the configured
// [Address]es, which become fds 3, 4, ... in every child. The [Set] keeps
// them open across swaps until [Set.Close], so the kernel queues
// connections while no child accepts.
//
// # A swap
//
// [Set.Acquire] gives a new child its [Member]s, one per address; [FDs]
// are the fds to place at 3, 4, ... and [Set.Names] the LISTEN_FDNAMES
// value. Without steering the child shares the one socket with the old
// child. With steering (Linux, TCP), a child starting while another
// serves gets a socket of its own in the address's SO_REUSEPORT group, and
// a one-instruction classic BPF program attached to the group picks the
// serving socket for every new connection. [Set.Promote] moves that
// program to the ready child's sockets; [Set.DrainQueues] waits until the
// old child's accept queues are empty, so its stop signal drops nothing;
// [Set.Release] gives a gone child's sockets back. A steered socket no
// child uses is shut down (shutdown(SHUT_RD)) before it is closed, so it
// leaves the group even while another process still holds a copy (a
// detached grandchild, tableflip); a socket systemd keeps is parked
// instead, idle, and taken again by a later generation. A socket another
// process of this user adds to the group is warned about and never picked.
//
// A busy [InheritedSocket] (a self-upgrade) keeps the steering program of
// the process it came from, which picks it wherever it sits in the group,
// until a child of the new process is promoted.
//
// Where steering is unavailable (not Linux, udp and unix sockets, an
// inherited socket without SO_REUSEPORT), the address keeps one shared
// socket, and the log says so once.
//
// # Options
//
// The zero [ListenOptions] sets SO_REUSEADDR and not SO_REUSEPORT, retries
// an address in use for portdoctor.DefaultRetryWait, and creates unix
// socket files with [DefaultUnixMode] (0660). A stale unix socket file is
// replaced only when nothing listens on it.
//
// The zero [Set] holds no sockets; its methods work and do nothing. On
// Windows children inherit no fds: [FDs] are -1, and nothing is steered.
package sockets
