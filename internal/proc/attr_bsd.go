//go:build unix && !linux

package proc

import "syscall"

// GroupAttr returns the attributes of every process reloader starts: a
// process group of its own, so the whole group can be stopped. Only Linux
// has PDEATHSIG; elsewhere children outlive a supervisor that is SIGKILLed.
func GroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
