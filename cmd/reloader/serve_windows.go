//go:build windows

package main

import (
	"context"
	"errors"
)

func serveRun(context.Context, *ServeOptions) error {
	return errors.New("reloader: serve needs fd inheritance and self-upgrade, which Windows lacks")
}
