package supervisor

import (
	"github.com/reloader-dev/reloader/internal/livereload"
	"github.com/reloader-dev/reloader/internal/sockets"
	"math"
	"syscall"
	"time"

	"github.com/reloader-dev/reloader/portdoctor"
	"github.com/reloader-dev/reloader/watcher"
)

// NoLimit is the duration that means "no bound" in the Config fields that
// document it, such as ReadyTimeout and MaxWait.
const NoLimit = time.Duration(math.MaxInt64)

// The defaults of DefaultConfig. reloader's own flags and config keys take
// their defaults from these.
const (
	DefaultStopSignal      = syscall.SIGTERM
	DefaultStopTimeout     = 5 * time.Second
	DefaultReady           = ReadyAuto
	DefaultReadyDelay      = 500 * time.Millisecond
	DefaultReadyTimeout    = 30 * time.Second
	DefaultRestart         = RestartOverlap
	DefaultCrashBackoff    = 100 * time.Millisecond
	DefaultCrashBackoffMax = 30 * time.Second
	DefaultProxyPortEnv    = "PORT"
	DefaultProxyHold       = 10 * time.Second
	DefaultBindWait        = portdoctor.DefaultRetryWait
	DefaultDebounce        = watcher.DefaultDebounce
	DefaultMaxWait         = watcher.DefaultMaxWait
	DefaultPollInterval    = watcher.DefaultPollInterval
	// DefaultUnixSocketMode lets the owner and its group connect, nobody
	// else.
	DefaultUnixSocketMode = sockets.DefaultUnixMode
	// DefaultEditorURL opens the overlay's file:line links in VS Code.
	DefaultEditorURL = livereload.DefaultEditorURL
)

// DefaultConfig returns a Config with every default filled: the Default*
// values, the watcher's default extensions, Instrument on, and false for
// every other switch (no watching, no proxy, steering on where available).
// Set Command and
// what else you need:
//
//	cfg := supervisor.DefaultConfig()
//	cfg.Command = []string{"./bin/api"}
//	cfg.ReadyTimeout = supervisor.NoLimit
func DefaultConfig() Config {
	return Config{
		StopSignal:      DefaultStopSignal,
		StopTimeout:     DefaultStopTimeout,
		Ready:           DefaultReady,
		ReadyDelay:      DefaultReadyDelay,
		ReadyTimeout:    DefaultReadyTimeout,
		Restart:         DefaultRestart,
		CrashBackoff:    DefaultCrashBackoff,
		CrashBackoffMax: DefaultCrashBackoffMax,
		ProxyPortEnv:    DefaultProxyPortEnv,
		ProxyHold:       DefaultProxyHold,
		BindWait:        DefaultBindWait,
		UnixSocketMode:  DefaultUnixSocketMode,
		WatchExtensions: watcher.DefaultExtensions(),
		Debounce:        DefaultDebounce,
		MaxWait:         DefaultMaxWait,
		PollInterval:    DefaultPollInterval,
		Instrument:      true,
	}
}
