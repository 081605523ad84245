//go:build windows

package supervisor

import "errors"

func execve(string, []string, []string) error {
	return errors.New("supervisor: exec shim: not supported on Windows")
}
