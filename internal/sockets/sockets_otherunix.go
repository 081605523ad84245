//go:build unix && !linux

package sockets

import "os"

// presetUnixMode does nothing: outside Linux a socket's mode cannot be set
// before bind, and the chmod after bind sets it.
func presetUnixMode(int, os.FileMode) error { return nil }
