//go:build unix

package supervisor

import (
	"fmt"
	"syscall"
)

func execve(path string, argv, env []string) error {
	err := syscall.Exec(path, argv, env)
	return fmt.Errorf("supervisor: exec shim: exec %s: %w", path, err)
}
