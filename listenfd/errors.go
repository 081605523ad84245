package listenfd

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap them, so test for
// them with [errors.Is].
var (
	// ErrNotSocket reports that an inherited descriptor is not a socket.
	ErrNotSocket = errors.New("listenfd: not a socket")

	// ErrPIDMismatch reports that LISTEN_PID names another process, so the
	// inherited descriptors are not meant for this one. It is wrapped in a
	// [*PIDError].
	ErrPIDMismatch = errors.New("listenfd: LISTEN_PID is not this process")

	// ErrInvalidEnv reports a malformed LISTEN_FDS or LISTEN_PID value. It is
	// wrapped in an [*EnvError].
	ErrInvalidEnv = errors.New("listenfd: invalid environment")

	// ErrInUse reports that [Listen] matched an inherited socket that an
	// earlier Listen call already returned and whose listener is still open.
	ErrInUse = errors.New("listenfd: inherited socket already in use by an earlier Listen")
)

// An FDError describes a problem with one inherited file descriptor, for
// example:
//
//	listenfd: fd 3 ("http"): not a socket
type FDError struct {
	FD   int    // descriptor number, 3 for the first inherited socket
	Name string // name from LISTEN_FDNAMES, or "LISTEN_FD_<FD>"
	Err  error  // the underlying error, e.g. ErrNotSocket
}

func (e *FDError) Error() string {
	return "listenfd: fd " + strconv.Itoa(e.FD) + " (" + strconv.Quote(e.Name) + "): " + msg(e.Err)
}

func (e *FDError) Unwrap() error { return e.Err }

// An EnvError describes an environment variable that could not be parsed,
// for example:
//
//	listenfd: invalid LISTEN_FDS="two": not a non-negative integer
//
// It matches both [ErrInvalidEnv] and Err with [errors.Is].
type EnvError struct {
	Var   string // variable name, e.g. "LISTEN_FDS"
	Value string // the offending value
	Err   error  // what is wrong with it
}

func (e *EnvError) Error() string {
	return "listenfd: invalid " + e.Var + "=" + strconv.Quote(e.Value) + ": " + msg(e.Err)
}

func (e *EnvError) Unwrap() []error { return []error{ErrInvalidEnv, e.Err} }

// A PIDError reports that LISTEN_PID names a process other than this one:
// the inherited descriptors were meant for that process and are ignored. It
// wraps [ErrPIDMismatch].
type PIDError struct {
	ListenPID int // value of LISTEN_PID
	PID       int // this process's pid
}

func (e *PIDError) Error() string {
	return "listenfd: LISTEN_PID=" + strconv.Itoa(e.ListenPID) + " but this process is pid " +
		strconv.Itoa(e.PID) + ": the inherited sockets belong to another process and are ignored"
}

func (e *PIDError) Unwrap() error { return ErrPIDMismatch }

// msg returns err's text without a leading "listenfd: ", so that wrapping
// errors print the prefix once.
func msg(err error) string {
	if err == nil {
		return "<nil>"
	}
	return strings.TrimPrefix(err.Error(), "listenfd: ")
}
