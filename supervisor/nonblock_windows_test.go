package supervisor

import "syscall"

// nonblocking reports true: Windows children inherit no sockets.
func nonblocking(syscall.Conn) (bool, error) { return true, nil }
