//go:build unix

package portdoctor

import (
	"syscall"

	"github.com/reloader-dev/reloader/internal/proc"
)

// terminate sends SIGTERM to the process group pid leads, or to pid alone
// if it leads none.
func terminate(pid int) error { return proc.SignalLeader(pid, syscall.SIGTERM) }

// kill sends SIGKILL as terminate sends SIGTERM.
func kill(pid int) error { return proc.SignalLeader(pid, syscall.SIGKILL) }
