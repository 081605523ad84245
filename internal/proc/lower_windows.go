//go:build windows

package proc

import (
	"os/exec"
	"syscall"
)

// belowNormalPriorityClass is BELOW_NORMAL_PRIORITY_CLASS of CreateProcess;
// a process created in it passes it on to the processes it creates.
const belowNormalPriorityClass = 0x00004000

// lowerCmd starts cmd below normal priority when low asks for a lower
// one; there is no shim on Windows.
func lowerCmd(cmd *exec.Cmd, low Lower) {
	if low.Nice <= 0 {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= belowNormalPriorityClass
}

// lowerSelf is never called: Windows has no exec shim.
func lowerSelf(int) error { return nil }
