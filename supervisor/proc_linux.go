//go:build linux

package supervisor

import "syscall"

// childSysProcAttr puts the child in its own process group, so the whole
// group can be stopped, and has the kernel SIGKILL it if the supervisor dies.
// PDEATHSIG survives the shim's exec.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// buildSysProcAttr puts a build in its own process group, so cancelling it
// kills the compiler and linker too.
func buildSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
