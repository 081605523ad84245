//go:build windows

package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// inheritFDs is false: Windows has no fd inheritance, so the supervisor
// falls back to stop-then-start and the app binds its own port.
const inheritFDs = false

func startProcess(argv []string, dir string, env []string, _ []int, stdout, stderr *os.File) (*os.Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd.Process, nil
}

func signalGroup(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	return p.Kill()
}

func killGroup(pid int) error { return signalGroup(pid, os.Kill) }

// waitGroupGone: Windows children have exited once Wait returns.
func waitGroupGone(int, time.Duration) bool { return true }

func childSysProcAttr() *syscall.SysProcAttr { return nil }

func buildSysProcAttr() *syscall.SysProcAttr { return nil }

// ParseSignal accepts the names Windows can deliver: KILL and INT map to
// killing the process; others are reported as errors.
func ParseSignal(s string) (os.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG") {
	case "TERM", "INT", "KILL", "15", "2", "9":
		return os.Kill, nil
	}
	return nil, fmt.Errorf("supervisor: unknown signal %q", s)
}
