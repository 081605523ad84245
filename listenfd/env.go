package listenfd

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Environment variables of the socket activation and readiness protocols.
const (
	envListenFDs     = "LISTEN_FDS"
	envListenPID     = "LISTEN_PID"
	envListenFDNames = "LISTEN_FDNAMES"
	envNotifySocket  = "NOTIFY_SOCKET"
)

const (
	listenFDsStart = 3       // first inherited descriptor (SD_LISTEN_FDS_START)
	maxListenFDs   = 1 << 16 // sanity limit on LISTEN_FDS
)

// fdSpec is one inherited descriptor as announced by the environment.
type fdSpec struct {
	fd   int
	name string
}

// envState is the parsed environment.
type envState struct {
	fds    []fdSpec // inherited descriptors, in fd order; nil when none
	notify string   // NOTIFY_SOCKET; "" when unset
}

// parseEnv parses the socket activation variables using getenv, for a
// process whose pid is pid. It does not touch any descriptor.
//
// An unset or empty LISTEN_FDS, or LISTEN_FDS=0, means nothing was
// inherited. An unset LISTEN_PID is accepted (watchexec and systemfd set
// none). LISTEN_FDNAMES is optional; missing or empty names default to
// "LISTEN_FD_<fd>" as in go-systemd, and extra names are ignored.
//
// A malformed LISTEN_FDS or LISTEN_PID yields an *EnvError and a LISTEN_PID
// naming another process a *PIDError; in both cases the returned state has
// no descriptors but still carries NOTIFY_SOCKET, which is not tied to a pid.
func parseEnv(getenv func(string) string, pid int) (envState, error) {
	st := envState{notify: getenv(envNotifySocket)}

	fdsVal := getenv(envListenFDs)
	if fdsVal == "" {
		return st, nil
	}
	n, err := strconv.Atoi(fdsVal)
	if err != nil || n < 0 {
		return st, &EnvError{Var: envListenFDs, Value: fdsVal, Err: errors.New("not a non-negative integer")}
	}
	if n > maxListenFDs {
		return st, &EnvError{Var: envListenFDs, Value: fdsVal, Err: errors.New("more than " + strconv.Itoa(maxListenFDs) + " descriptors")}
	}
	if n == 0 {
		return st, nil
	}

	if pidVal := getenv(envListenPID); pidVal != "" {
		p, err := strconv.Atoi(pidVal)
		if err != nil || p <= 0 {
			return st, &EnvError{Var: envListenPID, Value: pidVal, Err: errors.New("not a positive integer")}
		}
		if p != pid {
			return st, &PIDError{ListenPID: p, PID: pid}
		}
	}

	var names []string
	if v := getenv(envListenFDNames); v != "" {
		names = strings.Split(v, ":")
	}
	st.fds = make([]fdSpec, n)
	for i := range st.fds {
		fd := listenFDsStart + i
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		st.fds[i] = fdSpec{fd: fd, name: name}
	}
	return st, nil
}

// inherited is one inherited descriptor after inspection.
type inherited struct {
	fd     int
	name   string
	err    error    // non-nil (an *FDError) if the descriptor is unusable
	file   *os.File // the descriptor itself, kept open for the process lifetime; nil if err != nil
	stream bool     // SOCK_STREAM or SOCK_SEQPACKET: can be a listener
	addr   net.Addr // local address; nil if unknown

	inUse bool // returned by Listen and not yet closed; guarded by environ.mu
}

// describe returns a short description for error messages, e.g.
// `fd 3 ("http") tcp 127.0.0.1:8080`.
func (in *inherited) describe() string {
	s := "fd " + strconv.Itoa(in.fd) + " (" + strconv.Quote(in.name) + ")"
	if in.addr != nil {
		s += " " + in.addr.Network() + " " + in.addr.String()
	}
	return s
}

// environ is the process's inherited state, read once (see proc).
type environ struct {
	fds    []*inherited // nil when nothing was inherited or err != nil
	err    error        // from parseEnv
	notify string       // NOTIFY_SOCKET

	mu sync.Mutex // guards inherited.inUse

	readyOnce sync.Once
	readyErr  error
}

// proc caches the environment of this process. It is the package's only
// mutable package-level state:
// the environment and the inherited descriptors are process-global, and
// the activation variables are scrubbed after the first read, so they can
// be read only once.
var proc struct {
	once sync.Once
	env  *environ
}

// getEnv returns the process environment, reading it on first use.
func getEnv() *environ {
	proc.once.Do(func() { proc.env = loadEnv() })
	return proc.env
}

// loadEnv parses the environment, scrubs the activation variables so that
// this process's children do not see them, and inspects the inherited
// descriptors (setting FD_CLOEXEC on them). NOTIFY_SOCKET stays: it belongs
// to the process, not to one reader, and other sd_notify clients in it
// (go-systemd's watchdog pings) read it after us; ChildEnviron leaves it out.
func loadEnv() *environ {
	st, err := parseEnv(os.Getenv, os.Getpid())
	for _, k := range []string{envListenFDs, envListenPID, envListenFDNames} {
		os.Unsetenv(k)
	}
	e := &environ{err: err, notify: st.notify}
	if !fdsSupported {
		e.err = nil // descriptors are not inherited on this platform
		return e
	}
	for _, s := range st.fds {
		e.fds = append(e.fds, inspectFD(s.fd, s.name))
	}
	return e
}

// ChildEnviron returns the environment for a process this one starts that
// must not report readiness for it: [os.Environ] without NOTIFY_SOCKET (and
// without the activation variables, which the package has already
// removed). Use it as exec.Cmd.Env:
//
//	cmd := exec.Command("worker")
//	cmd.Env = listenfd.ChildEnviron()
//
// The process itself keeps NOTIFY_SOCKET, as systemd's services do, so
// other sd_notify clients in it (go-systemd's daemon.SdNotify for watchdog
// pings, for example) keep working after the package has read it.
func ChildEnviron() []string {
	getEnv() // activation variables are removed on first use
	env := os.Environ()
	out := env[:0]
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case envNotifySocket, envListenFDs, envListenPID, envListenFDNames:
			continue
		}
		out = append(out, kv)
	}
	return out
}
