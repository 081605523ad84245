//go:build unix

package supervisor

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// inheritFDs reports whether children can inherit the supervisor's sockets.
const inheritFDs = true

// startProcess starts argv[0] in a new process group with stdin on
// /dev/null, stdout and stderr on the given pipe write ends and fds placed
// at 3, 4, ... It passes raw fd numbers for the sockets: os.StartProcess
// would call File.Fd(), which puts the shared sockets into blocking mode.
// (Fd on the pipe write ends does the same to them, which is what a child
// expects of its stdout.)
func startProcess(argv []string, dir string, env []string, fds []int, stdout, stderr *os.File) (*os.Process, error) {
	null, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("open "+os.DevNull, err)
	}
	defer syscall.Close(null)
	files := []uintptr{uintptr(null), stdout.Fd(), stderr.Fd()}
	for _, fd := range fds {
		files = append(files, uintptr(fd))
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: files,
		Sys:   childSysProcAttr(),
	})
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: argv[0], Err: err}
	}
	return os.FindProcess(pid)
}

// signalGroup sends sig to the process group led by pid. A group that is
// already gone is not an error.
func signalGroup(pid int, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("supervisor: signal %v is not a Unix signal", sig)
	}
	if err := syscall.Kill(-pid, s); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("supervisor: signal %v to process group %d: %w", sig, pid, err)
	}
	return nil
}

func killGroup(pid int) error { return signalGroup(pid, syscall.SIGKILL) }

// waitGroupGone waits until no process is left in process group pgid, at
// most timeout. The kernel offers no event for that, so it polls.
func waitGroupGone(pgid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ParseSignal accepts "SIGTERM", "TERM", "term" or a number such as "15".
func ParseSignal(s string) (os.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name = strings.TrimPrefix(name, "SIG")
	if sig, ok := signalNames[name]; ok {
		return sig, nil
	}
	return nil, fmt.Errorf("supervisor: unknown signal %q", s)
}

var signalNames = map[string]syscall.Signal{
	"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
	"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
	"TERM": syscall.SIGTERM,
}
