package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
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

// Config describes what the supervisor runs. The zero value of each field
// is documented with it; only Command is required.
type Config struct {
	// Command is the app to run. `go run [flags] PKG [args]` is built with
	// `go build` and the binary is run directly; anything else runs as
	// given and is restarted on change.
	Command []string
	// Dir is the working directory of builds and children. "" means the
	// supervisor's own.
	Dir string
	// Env is added to the child's environment.
	Env []string
	// BuildEnv is added to the build's environment.
	BuildEnv []string
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
	// root (the nearest go.mod above Dir), or Dir if there is none.
	WatchRoot string
	// Debounce is the quiet period after the last change before a build.
	// 0 means the watcher's default (50ms).
	Debounce time.Duration
	// Debug keeps DWARF in builds for delve. By default builds link the way
	// `go run` does, without it.
	Debug bool
	// BuildDir holds built binaries. "" means a private temporary directory,
	// removed on exit.
	BuildDir string
	// StopSignal is sent to the old child's process group. nil means SIGTERM.
	StopSignal os.Signal
	// StopTimeout bounds the wait after StopSignal before SIGKILL. 0 means 5s.
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
	// readiness in any mode. 0 means 30s.
	ReadyTimeout time.Duration
	// ReadyDelay is how long a child without READY=1 must stay up to count
	// as ready in ReadyAuto and ReadyDelay modes. 0 means 500ms.
	ReadyDelay time.Duration
	// Shim is the executable that runs in exec-shim mode (see
	// RunShimIfRequested). "" means this executable.
	Shim string
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
	if c.StopTimeout == 0 {
		c.StopTimeout = 5 * time.Second
	}
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
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 30 * time.Second
	}
	if c.ReadyDelay == 0 {
		c.ReadyDelay = 500 * time.Millisecond
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"stop_timeout", c.StopTimeout}, {"ready_timeout", c.ReadyTimeout}, {"ready_delay", c.ReadyDelay}, {"debounce", c.Debounce}} {
		if d.v < 0 {
			return c, fmt.Errorf("%w: %s: %v is negative", ErrConfig, d.name, d.v)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
