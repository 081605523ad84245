//go:build windows

package main

import "errors"

func signalServe(int, string) error {
	return errors.New("not supported on Windows")
}
