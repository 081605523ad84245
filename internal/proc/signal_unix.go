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
	names := map[string]syscall.Signal{
		"HUP": syscall.SIGHUP, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT,
		"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
		"TERM": syscall.SIGTERM,
	}
	if sig, ok := names[strings.TrimPrefix(name, "SIG")]; ok {
		return sig, nil
	}
	return nil, fmt.Errorf("proc: unknown signal %q", s)
}
