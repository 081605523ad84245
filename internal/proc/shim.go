package proc

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

// ShimEnv is set in the environment of the exec shim: "1", or the number of
// the fd that holds the shim's own executable, which the shim closes. It
// is removed before the app runs.
const ShimEnv = "RELOADER_EXEC_SHIM"

// Shim is the exec shim's executable, opened once so that every child
// starts from the same file for the supervisor's whole life. On Linux
// Start runs it through /proc/self/fd, so replacing or removing the file
// on disk (an upgrade, go install) changes nothing; elsewhere it is run by
// path. Open it with OpenShim.
type Shim struct {
	path string   // argv[0] of the shim, and the file run where f is nil
	f    *os.File // the open executable; nil where it is run by path
}

// Path returns the path the shim was opened from.
func (s *Shim) Path() string { return s.path }

// Close closes the open executable; children already started keep theirs.
func (s *Shim) Close() error {
	if s == nil || s.f == nil {
		return nil
	}
	return s.f.Close()
}

// shimArgs returns what Start runs for argv through s: the path to exec,
// the argv, and the value of ShimEnv. fd is the number the open
// executable gets in the child, when there is one.
func (s *Shim) shimArgs(argv []string, fd int) (path string, full []string, env string) {
	full = append([]string{s.path}, argv...)
	if s.f == nil {
		return s.path, full, "1"
	}
	return "/proc/self/fd/" + strconv.Itoa(fd), full, strconv.Itoa(fd)
}

// RunShimIfRequested is called first thing in main (and in TestMain of
// tests whose binary plays the supervisor). When the process was started as
// the exec shim (ShimEnv), it sets LISTEN_PID to its own pid and execs the
// app named by os.Args[1:], which keeps that pid (with NiceEnv set, it
// lowers its priority first: see Lower); it returns only on
// failure, with shim=true. Started as the reaper (ReaperEnv), it runs the
// reaper and returns shim=true and a nil error when done: the caller exits
// 0. Otherwise it returns shim=false at once.
func RunShimIfRequested() (shim bool, err error) {
	if os.Getenv(ReaperEnv) == "1" {
		runReaper()
		return true, nil
	}
	v := os.Getenv(ShimEnv)
	fd, err := strconv.Atoi(v)
	if v != "1" && (err != nil || fd < 3) {
		return false, nil
	}
	os.Unsetenv(ShimEnv)
	if fd >= 3 {
		closeOnExec(fd) // the shim's own executable: not the app's
	}
	lowerFromEnv()
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
