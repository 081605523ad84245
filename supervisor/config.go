package supervisor

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"syscall"
	"time"
)

// ReadyMode says how the supervisor decides that a new child is ready to
// take over from the serving one.
type ReadyMode string

const (
	// ReadyAuto waits for READY=1 on NOTIFY_SOCKET, or treats a child that
	// stays up for ReadyDelay without sending it as ready. The default.
	ReadyAuto ReadyMode = "auto"
	// ReadyNotify waits for READY=1 only, up to ReadyTimeout.
	ReadyNotify ReadyMode = "notify"
	// ReadyDelay treats a child that stays up for ReadyDelay as ready.
	ReadyDelay ReadyMode = "delay"
)

// RestartMode says how a new child replaces the serving one.
type RestartMode string

const (
	// RestartOverlap starts the new child while the old one serves and
	// stops the old one once the new one is ready. The default.
	RestartOverlap RestartMode = "overlap"
	// RestartSequential stops the old child's process group, waits until
	// it is gone, then starts the new child: for apps that cannot run
	// twice at once (a file lock, a port they bind themselves). Requests
	// wait in the kernel queue of supervisor-owned sockets meanwhile.
	RestartSequential RestartMode = "sequential"
)

// ErrConfig is wrapped by every configuration error from New.
var ErrConfig = errors.New("supervisor: bad config")

// noLimit stands for "no timeout" once withDefaults has run.
const noLimit = time.Duration(math.MaxInt64)

// Config describes what the supervisor runs. The zero value of each field
// is documented with it; only Command is required, and Config{Command: argv}
// runs argv with sane defaults.
//
// Durations follow one rule: 0 means the documented default, and a negative
// value means an explicit zero ("none", "at once"), so that a zero written
// in a config file is never replaced by a default. The cmd layer always
// passes explicit values and maps a written "0s" to -1.
//
// No field makes the supervisor run a shell: argv lists run as given. A
// caller that wants a shell (reloader does when the user writes a string)
// passes {"/bin/sh", "-c", script}.
type Config struct {
	// Command is the app to run. `go run [flags] PKG [args]` is built with
	// `go build` and the binary is run directly; anything else runs as
	// given and is restarted on change.
	Command []string
	// Dir is the working directory of builds and hooks, and of children
	// unless RunDir is set. "" means the supervisor's own.
	Dir string
	// RunDir is the working directory of children. "" means Dir.
	RunDir string
	// Env is added to the child's environment.
	Env []string
	// BuildEnv is added to the environment of builds and hooks.
	BuildEnv []string
	// Build, if not empty, is a build command run in Dir before every start
	// of Command (which then must not be `go run`; it usually runs the
	// binary Build writes). A failed build keeps the serving child. Empty
	// means no build step, except the go build of a `go run` Command.
	Build []string
	// BuildFlags are added to the `go build` flags of a `go run` Command.
	BuildFlags []string
	// BuildOutput is where the binary of a `go run` Command is written (and
	// kept). "" means a fresh path per build in a private directory.
	BuildOutput string
	// PreBuild, if not empty, runs in Dir before every build (or, with no
	// build step, before every start). Its failure is a build failure: the
	// serving child is kept.
	PreBuild []string
	// PostSwap, if not empty, runs in Dir after every successful swap, with
	// RELOADER_PID set to the new child's pid. Its failure is logged.
	PostSwap []string
	// Stdout and Stderr receive the children's and hooks' output, whole
	// lines at a time, each line prefixed with OutputPrefix. nil means
	// os.Stdout and os.Stderr. Writes are serialised by the supervisor;
	// share a writer with the logger only if it serialises writes itself.
	Stdout, Stderr io.Writer
	// OutputPrefix starts every line of child output, e.g. "[app] ". ""
	// means no prefix (lines are still kept whole).
	OutputPrefix string
	// Listen lists the sockets handed to every child, from fd 3. Empty
	// means none: the app binds its own ports.
	Listen []Address
	// Proxy makes the supervisor serve the Listen addresses itself as an
	// HTTP reverse proxy, for apps that bind their own port: each child gets
	// a private loopback port in the ProxyPortEnv variable and is ready when
	// that port accepts a connection (or it sends READY=1).
	Proxy bool
	// ProxyPortEnv names the variable holding the private port. "" means
	// "PORT".
	ProxyPortEnv string
	// ProxyHold bounds how long the proxy holds a request while no child
	// answers (during a restart). 0 means 10s.
	ProxyHold time.Duration
	// Inherited sockets come before the Listen ones, from fd 3. nil means
	// none.
	Inherited []InheritedSocket
	// UnixSocketMode is the permission of unix socket files reloader
	// creates. 0 means 0660.
	UnixSocketMode os.FileMode
	// BindWait bounds how long an address held by someone else is retried
	// at start-up. 0 means 3s; negative means one attempt.
	BindWait time.Duration
	// KillStale ends a holder of a Listen address that is a child an
	// earlier reloader run in the same directory left behind. When false,
	// such a holder is only named in the error.
	KillStale bool
	// NoSteering turns connection steering off. By default, on Linux, each
	// child generation gets its own SO_REUSEPORT socket on each TCP address
	// and a classic BPF program steers new connections to the ready child,
	// so the old child's queue is empty before its stop signal. With
	// NoSteering (and wherever steering is unavailable) children share one
	// socket per address.
	NoSteering bool
	// ReusePort sets SO_REUSEPORT on the sockets. Off by default: it lets
	// other processes of the same user bind the same address.
	ReusePort bool
	// Watch enables rebuilding on source changes. When false, only Reload
	// (SIGHUP) swaps.
	Watch bool
	// WatchBinary swaps when the file Command[0] names is replaced, as a
	// deploy that renames a new build into place does.
	WatchBinary bool
	// WatchRoot is the directory watched recursively. "" means the module
	// root (the nearest go.mod above Dir), or Dir if there is none. The
	// filesystem root and the home directory are refused unless WatchForce.
	WatchRoot string
	// WatchForce allows "/" or the home directory as the watch root.
	WatchForce bool
	// WatchInclude lists globs (doublestar syntax, "**" spans directories,
	// relative to the watch root, "/"-separated). Empty means every file
	// that passes the extension filter counts; otherwise a file counts only
	// if it also matches one of them.
	WatchInclude []string
	// WatchExclude lists globs like WatchInclude; a matching file or
	// directory never counts. Empty means none.
	WatchExclude []string
	// WatchNoGitIgnore turns off reading .gitignore and .ignore in the
	// watch root; by default paths they ignore never count.
	WatchNoGitIgnore bool
	// WatchExtensions lists the file extensions that count. nil means the
	// watcher's default (".go"); go.mod and go.sum always count.
	WatchExtensions []string
	// WatchIncludeTests makes _test.go files count.
	WatchIncludeTests bool
	// Debounce is the quiet period after the last change before a build.
	// 0 means the watcher's default (50ms); negative means none.
	Debounce time.Duration
	// MaxWait bounds the wait from the first change to a build while
	// changes keep coming. 0 means the watcher's default (2s); negative
	// means no bound.
	MaxWait time.Duration
	// Poll replaces file notifications with a stat walk of the tree every
	// PollInterval (for network and container file systems).
	Poll bool
	// PollInterval is the time between two walks when Poll is set. 0 means
	// 500ms; negative is an error.
	PollInterval time.Duration
	// Debug keeps DWARF in builds for delve. By default builds link the way
	// `go run` does, without it.
	Debug bool
	// BuildDir holds built binaries. "" means a private temporary directory,
	// removed on exit.
	BuildDir string
	// StopSignal is sent to the old child's process group. nil means SIGTERM.
	StopSignal os.Signal
	// StopTimeout bounds the wait after StopSignal before SIGKILL. 0 means
	// 5s; negative means SIGKILL right after the stop signal.
	StopTimeout time.Duration
	// RestartOnCrash restarts a child that exits on its own, after a
	// backoff that doubles from CrashBackoff up to CrashBackoffMax and resets
	// once a child has stayed up for CrashBackoffMax. When false (the
	// development default), a crashed child waits for the next change.
	RestartOnCrash bool
	// CrashBackoff is the first restart delay. 0 means 100ms.
	CrashBackoff time.Duration
	// CrashBackoffMax caps the restart delay. 0 means 30s.
	CrashBackoffMax time.Duration
	// Restart is the restart mode. "" means RestartOverlap.
	Restart RestartMode
	// Ready is the readiness mode. "" means ReadyAuto.
	Ready ReadyMode
	// ReadyTimeout bounds the wait for READY=1 in ReadyNotify mode, and for
	// readiness in any mode. 0 means 30s; negative means no limit.
	ReadyTimeout time.Duration
	// ReadyDelay is how long a child without READY=1 must stay up to count
	// as ready in ReadyAuto and ReadyDelay modes. 0 means 500ms; negative
	// means ready as soon as it has started.
	ReadyDelay time.Duration
	// Shim is the executable that runs in exec-shim mode (see
	// RunShimIfRequested). "" means this executable.
	Shim string
	// OnEvent, if not nil, receives every event (see Event) as it happens,
	// one at a time, from the supervisor's goroutines. It must not block.
	// The same events go to Logger whether or not OnEvent is set.
	OnEvent func(Event)
	// Logger receives the supervisor's logs. nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults fills zero values and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.Command) == 0 || c.Command[0] == "" {
		return c, fmt.Errorf("%w: command: nothing to run", ErrConfig)
	}
	if c.StopSignal == nil {
		c.StopSignal = syscall.SIGTERM
	}
	c.StopTimeout = orDefault(c.StopTimeout, 5*time.Second, 0)
	if c.Ready == "" {
		c.Ready = ReadyAuto
	}
	switch c.Ready {
	case ReadyAuto, ReadyNotify, ReadyDelay:
	default:
		return c, fmt.Errorf("%w: ready: %q is not auto, notify or delay", ErrConfig, c.Ready)
	}
	switch c.Restart {
	case "":
		c.Restart = RestartOverlap
	case RestartOverlap, RestartSequential:
	default:
		return c, fmt.Errorf("%w: restart: %q is not overlap or sequential", ErrConfig, c.Restart)
	}
	if c.ProxyPortEnv == "" {
		c.ProxyPortEnv = "PORT"
	}
	if c.ProxyHold == 0 {
		c.ProxyHold = 10 * time.Second
	}
	if c.Proxy {
		c.NoSteering = true
		for _, a := range c.Listen {
			if a.Network == "udp" {
				return c, fmt.Errorf("%w: proxy: %s is udp; the proxy speaks HTTP over tcp or unix sockets", ErrConfig, a)
			}
		}
	}
	if c.CrashBackoff == 0 {
		c.CrashBackoff = 100 * time.Millisecond
	}
	if c.CrashBackoffMax == 0 {
		c.CrashBackoffMax = 30 * time.Second
	}
	c.ReadyTimeout = orDefault(c.ReadyTimeout, 30*time.Second, noLimit)
	c.ReadyDelay = orDefault(c.ReadyDelay, 500*time.Millisecond, 0)
	switch {
	case c.PollInterval == 0:
		c.PollInterval = 500 * time.Millisecond
	case c.PollInterval < 0:
		return c, fmt.Errorf("%w: poll_interval: %v is not positive", ErrConfig, c.PollInterval)
	}
	if len(c.Build) > 0 && len(c.Build[0]) == 0 || len(c.PreBuild) > 0 && c.PreBuild[0] == "" || len(c.PostSwap) > 0 && c.PostSwap[0] == "" {
		return c, fmt.Errorf("%w: build or hook command with an empty program name", ErrConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	return c, nil
}

// orDefault maps 0 to def and a negative d (an explicit zero) to none.
func orDefault(d, def, none time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return none
	}
	return d
}
