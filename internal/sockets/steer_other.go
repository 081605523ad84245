//go:build !linux

package sockets

import "errors"

var errNoSteering = errors.New("sockets: connection steering needs Linux")

func attachSteering(fd, index int) error { return errNoSteering }

func acceptQueueLen(fd int) (int, error) { return 0, errNoSteering }

func listenersOn(addr string) (int, error) { return 0, errNoSteering }
