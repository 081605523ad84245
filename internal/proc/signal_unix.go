//go:build unix

package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ParseSignal accepts "SIGTERM", "TERM", "term" or a number such as "15".
func ParseSignal(s string) (os.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	switch strings.TrimPrefix(name, "SIG") {
	case "HUP":
		return syscall.SIGHUP, nil
	case "INT":
		return syscall.SIGINT, nil
	case "QUIT":
		return syscall.SIGQUIT, nil
	case "KILL":
		return syscall.SIGKILL, nil
	case "USR1":
		return syscall.SIGUSR1, nil
	case "USR2":
		return syscall.SIGUSR2, nil
	case "TERM":
		return syscall.SIGTERM, nil
	}
	return nil, fmt.Errorf("proc: unknown signal %q", s)
}
