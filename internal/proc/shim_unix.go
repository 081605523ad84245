//go:build unix

package proc

import (
	"fmt"
	"syscall"
)

func execve(path string, argv, env []string) error {
	err := syscall.Exec(path, argv, env)
	return fmt.Errorf("proc: exec shim: exec %s: %w", path, err)
}

func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
