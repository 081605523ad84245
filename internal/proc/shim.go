package proc

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// ShimEnv is set in the environment of the exec shim. It is removed before
// the app runs.
const ShimEnv = "RELOADER_EXEC_SHIM"

// RunShimIfRequested is called first thing in main (and in TestMain of
// tests whose binary plays the supervisor). When the process was started as
// the exec shim (ShimEnv), it sets LISTEN_PID to its own pid and execs the
// app named by os.Args[1:], which keeps that pid; it returns only on
// failure, with shim=true. Started as the reaper (ReaperEnv), it runs the
// reaper and returns shim=true and a nil error when done: the caller exits
// 0. Otherwise it returns shim=false at once.
func RunShimIfRequested() (shim bool, err error) {
	if os.Getenv(ReaperEnv) == "1" {
		runReaper()
		return true, nil
	}
	if os.Getenv(ShimEnv) != "1" {
		return false, nil
	}
	os.Unsetenv(ShimEnv)
	if len(os.Args) < 2 {
		return true, fmt.Errorf("proc: exec shim: no command")
	}
	if os.Getenv("LISTEN_FDS") != "" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		return true, fmt.Errorf("proc: exec shim: %w", err)
	}
	return true, execve(path, os.Args[1:], os.Environ())
}
