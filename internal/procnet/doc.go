// Package procnet reads the kernel's socket tables: /proc/net/tcp, tcp6,
// udp and udp6 on Linux.
//
// [Read] opens the IPv4 and IPv6 tables of a network and returns the
// sockets bound to one local port; [Parse] does the same for one table
// already open. Each row becomes an [Entry]: local and remote address, the
// kernel's [State], the owner's uid and the socket's inode, which
// /proc/<pid>/fd links name as "socket:[inode]".
//
// The kernel prints each 32-bit word of an address in the machine's own
// byte order, so "0100007F" is 127.0.0.1 on a little-endian machine and
// 1.0.0.127 on a big-endian one. [ParseAddr] decodes with the native byte
// order ([binary.NativeEndian]); it never assumes little-endian.
//
// The zero [Entry] is a socket bound to no address (an invalid
// [netip.AddrPort]) in state 0, owned by root, with no inode. The zero
// [State] is not a state the kernel uses; its String is "0x00".
//
// Parsing works on every platform. Outside Linux there are no tables to
// read, and [Read] fails with an error wrapping [fs.ErrNotExist].
package procnet
