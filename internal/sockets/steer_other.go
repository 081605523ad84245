//go:build !linux

package sockets

// errNoSteering is what the steering functions return outside Linux.
const errNoSteering = constError("sockets: connection steering needs Linux")

// constError is an error that can be a constant.
type constError string

func (e constError) Error() string { return string(e) }

func attachSteering(fd, index int) error { return errNoSteering }

func acceptQueueLen(fd int) (int, error) { return 0, errNoSteering }

func listenersOn(addr string) (int, error) { return 0, errNoSteering }

// stopListening does nothing: sockets are steered only on Linux.
func stopListening(fd int) error { return nil }

func unreadConns([]int, []uint16) (int, error) { return 0, errNoSteering }

func groupPids(int) []int { return nil }
