//go:build unix

package main

import "syscall"

func signalServe(pid int, verb string) error {
	sig := syscall.SIGHUP
	if verb == "upgrade" {
		sig = syscall.SIGUSR2
	}
	return syscall.Kill(pid, sig)
}
