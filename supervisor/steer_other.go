//go:build !linux

package supervisor

import "errors"

var errNoSteering = errors.New("supervisor: connection steering needs Linux")

func attachSteering(fd, index int) error { return errNoSteering }

func acceptQueueLen(fd int) (int, error) { return 0, errNoSteering }

func listenersOn(addr string) (int, error) { return 0, errNoSteering }
