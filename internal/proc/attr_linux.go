//go:build linux

package proc

import "syscall"

// GroupAttr returns the attributes of every process reloader starts: a
// process group of its own, so the whole group can be stopped, and
// PDEATHSIG, so the kernel SIGKILLs it if the supervisor dies. PDEATHSIG
// survives the shim's exec.
func GroupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
