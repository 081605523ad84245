package supervisor

import "github.com/reloader-dev/reloader/internal/proc"

// RunShimIfRequested is called first thing in main (and in TestMain of tests
// whose binary plays the supervisor). When the process was started as the
// exec shim, it sets LISTEN_PID to its own pid and execs the app named by
// os.Args[1:], which keeps that pid; it returns only on failure, with
// shim=true. Started as the reaper, it runs the reaper and returns
// shim=true and a nil error when done: the caller exits 0. Otherwise it
// returns shim=false at once.
//
// The shim exists because Go cannot set the environment between fork and
// exec, and socket-activation readers (go-systemd, libsystemd) ignore the
// fds unless LISTEN_PID is their own pid.
func RunShimIfRequested() (shim bool, err error) { return proc.RunShimIfRequested() }
