//go:build unix && !linux

package supervisor

import "syscall"

// childSysProcAttr puts the child in its own process group. Only Linux has
// PDEATHSIG; elsewhere children outlive a supervisor that is SIGKILLed.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func buildSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
