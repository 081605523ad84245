//go:build windows

package sockets

import "syscall"

func controlFunc(ListenOptions) func(network, address string, c syscall.RawConn) error {
	return nil
}

// Windows has no fd inheritance: the Set holds no fd for children.
func dupFD(any) (int, error) { return -1, nil }

func closeFD(int) {}

func setBlocking(int) error { return nil }

func removeStaleUnixSocket(string) error { return nil }

func reusePortSet(int) bool { return false }
