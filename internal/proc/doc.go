// Package proc starts and ends the processes reloader runs: app children,
// builds and hooks, each in a process group of its own.
//
// Start starts a child with raw socket fds at 3, 4, ... It never calls
// File.Fd on a socket, which would put the socket, shared with the
// supervisor and other children, into blocking mode. RunGroup runs a build
// or hook to completion and kills whatever is left in its group; with a
// Lower it runs through the exec shim, which lowers the nice value (and on
// Linux the I/O priority) of its new group before it execs the command, so
// the go command's compile and link children inherit it.
//
// SignalGroup, KillGroup and WaitGroupGone act on a whole process group, so
// grandchildren an app starts end with it. A group that is already gone is
// not an error. SignalLeader signals a process that may or may not lead a
// group, as for a child a dead reloader left behind.
//
// A Reaper is a copy of the running executable that outlives it for one
// purpose: when the supervisor dies, even by SIGKILL, it kills every process
// group it was told about with Add and not yet told is gone with Gone. A nil
// *Reaper, and the zero Reaper, do nothing, as on Windows, which has none.
//
// The exec shim is the same executable started with ShimEnv set: it sets
// LISTEN_PID to its own pid and execs the app, which keeps that pid.
// OpenShim opens it once; on Linux Start runs it through /proc/self/fd, so
// a reloader binary replaced or removed on disk (an upgrade, go install)
// never changes the shim of a running supervisor. Go
// cannot set the environment between fork and exec, and socket-activation
// readers ignore the fds unless LISTEN_PID is their own pid. Programs that
// start children through the shim or run a Reaper call RunShimIfRequested
// first thing in main.
//
// On Windows there is no fd inheritance (InheritFDs is false), signalling a
// group kills its leader, and there is no shim or reaper.
package proc
