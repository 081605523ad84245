//go:build windows

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// InheritFDs is false: Windows has no fd inheritance, so the supervisor
// falls back to stop-then-start and the app binds its own port.
const InheritFDs = false

// Start starts argv[0] in a new process group with the attributes in a;
// a.Fds are ignored.
func Start(argv []string, a Attr) (*os.Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = a.Dir, a.Env
	if a.Env == nil {
		cmd.Env = []string{}
	}
	if a.Stdout != nil {
		cmd.Stdout = a.Stdout
	}
	if a.Stderr != nil {
		cmd.Stderr = a.Stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Process, nil
}
