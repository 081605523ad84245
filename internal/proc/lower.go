package proc

import (
	"fmt"
	"os"
	"strconv"
)

// NiceEnv is set in the environment of the exec shim that is to lower its
// own CPU (and, on Linux, I/O) priority before it execs the command: the
// nice value, 1 to 19. It is removed before the command runs.
const NiceEnv = "RELOADER_EXEC_NICE"

// Lower is the lower priority a build or hook runs at, so that it does not
// take the CPU from the app and its clients. The zero value runs it at the
// supervisor's own priority.
type Lower struct {
	// Nice is added to the command's nice value (1 to 19); 0 leaves its
	// priority as it is. On Linux the command also gets the lowest
	// best-effort I/O priority (IOPRIO_CLASS_BE, level 7); on Windows it
	// runs in BELOW_NORMAL_PRIORITY_CLASS, whatever the value.
	Nice int
	// Shim is the exec shim that runs the command on Unix: it lowers its
	// own priority and then execs the command, so no process of the group
	// ever runs at the higher one and every child inherits the lower one.
	// nil on Unix leaves the priority as it is.
	Shim *Shim
}

// lowerFromEnv lowers the priority of the shim's own process group as
// NiceEnv asks, if it is set, and removes it. The shim goes on to exec the
// command whatever happens: a priority that cannot be lowered (a seccomp
// filter) is worth a line on stderr, not a failed build.
func lowerFromEnv() {
	v, ok := os.LookupEnv(NiceEnv)
	if !ok {
		return
	}
	os.Unsetenv(NiceEnv)
	n, err := strconv.Atoi(v)
	if err == nil && n > 0 {
		err = lowerSelf(n)
	} else if err == nil {
		err = fmt.Errorf("nice %d is not 1 to 19", n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "reloader: exec shim: lower priority (%s=%s): %v\n", NiceEnv, v, err)
	}
}
