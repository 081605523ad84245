package proc

import "os"

// Attr holds what Start gives a new process. The zero value starts it in
// the current directory, with an empty environment, no sockets, and stdin,
// stdout and stderr on the null device.
type Attr struct {
	// Dir is the working directory; "" means the current one.
	Dir string
	// Env is the whole environment; nil means an empty one.
	Env []string
	// Fds are raw socket fds, placed at 3, 4, ... in the child. They are
	// never wrapped in an *os.File, so they stay non-blocking. Windows
	// ignores them (InheritFDs is false).
	Fds []int
	// Shim, if not nil, is the exec shim to run argv through: it sets
	// LISTEN_PID to the app's pid and execs argv. Windows ignores it.
	Shim *Shim
	// Stdout and Stderr are the child's fds 1 and 2, typically pipe write
	// ends; nil means the null device. Stdin is always the null device.
	Stdout, Stderr *os.File
}
