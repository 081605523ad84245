//go:build windows

package proc

import "errors"

func execve(string, []string, []string) error {
	return errors.New("proc: exec shim: not supported on Windows")
}

func closeOnExec(int) {}
