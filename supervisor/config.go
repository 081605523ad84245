package supervisor

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"time"
)

// ReadyMode says how the supervisor decides that a new child is ready to
// take over from the serving one.
type ReadyMode string

const (
	// ReadyAuto takes the first of: READY=1 on NOTIFY_SOCKET; on Linux, a
	// process of the child's group in accept on a socket it was handed, or
	// with one in an epoll set; the child staying up for ReadyDelay. A
	// child whose binary links a READY=1 sender is waited for up to 5s for
	// READY=1 alone. The default.
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

// ErrConfig is wrapped by every configuration error from New and
// Config.Validate.
var ErrConfig = errors.New("supervisor: bad config")

// Config describes what the supervisor runs. Start from DefaultConfig,
// which fills every default, and change what you need: the zero Config is
// not valid (its ReadyTimeout and PollInterval are zero).
//
// Durations are taken literally: 0 is zero ("at once", "none"), NoLimit is
// no bound, and a negative duration is an error. Each field says what its
// zero and NoLimit mean. Other fields document their zero value; a nil
// writer, logger or signal means the default named with it.
//
// No field makes the supervisor run a shell: argv lists run as given. A
// caller that wants a shell (reloader does when the user writes a string)
// passes {"/bin/sh", "-c", script}.
type Config struct {
	// Command is the app to run. `go run [flags] PKG [args]` is built with
	// `go build` and the binary is run directly; anything else runs as
	// given and is restarted on change.
	Command []string
	// Chosen says why Command was chosen when nothing configured it
	// (reloader's zero configuration), for the CommandChosen event at
	// start. "" means Command was configured, and no event.
	Chosen string
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
	// DefaultProxyPortEnv.
	ProxyPortEnv string
	// ProxyHold bounds how long the proxy holds a request while no child
	// answers (during a restart). 0 means no hold: such a request fails at
	// once; NoLimit holds it until a child answers or the client gives up.
	// DefaultProxyHold is 10s.
	ProxyHold time.Duration
	// LiveReload makes the supervisor serve the Listen addresses through
	// its HTTP proxy (it implies Proxy) and put reloader's live-reload
	// script into the app's HTML documents: browsers reload once a new
	// generation is promoted, and show build failures and crashes in an
	// overlay (internal/livereload). Paths under /__reloader/ are then
	// reloader's own. false means no script and no /__reloader/ paths.
	LiveReload bool
	// EditorURL makes the overlay's file:line links: {path} is replaced by
	// the absolute path, {line} and {col} by the position (col 1 when the
	// output names none). "" means DefaultEditorURL.
	EditorURL string
	// Assets lists globs (syntax as WatchInclude) of files the app reads at
	// run time: a change to one starts no build but emits BrowserRefresh
	// (Source "assets"), and counts even when its extension is not watched
	// or the include, exclude or ignore rules leave it out. Files the app
	// embeds with //go:embed must not be listed: they need a build. Empty
	// means none.
	Assets []string
	// Inherited sockets come before the Listen ones, from fd 3. nil means
	// none.
	Inherited []InheritedSocket
	// UnixSocketMode is the permission of unix socket files reloader
	// creates; it must let the owner read and write. 0 means
	// DefaultUnixSocketMode (0660).
	UnixSocketMode os.FileMode
	// BindWait bounds how long an address held by someone else is retried
	// at start-up. 0 means one attempt; NoLimit retries until the address
	// is free or New's context is done. DefaultBindWait is 3s.
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
	// watcher's default (".go"); empty means none. go.mod and go.sum always
	// count.
	WatchExtensions []string
	// WatchIncludeTests makes _test.go files count.
	WatchIncludeTests bool
	// Debounce is the quiet period after the last change before a build.
	// 0 means none: a build starts as soon as a change is seen.
	// DefaultDebounce is 50ms.
	Debounce time.Duration
	// MaxWait bounds the wait from the first change to a build while
	// changes keep coming. 0 means a build starts at the first change,
	// whatever Debounce says; NoLimit means no bound (the build waits for a
	// quiet Debounce period). DefaultMaxWait is 2s.
	MaxWait time.Duration
	// Poll replaces file notifications with a stat walk of the tree every
	// PollInterval (for network and container file systems).
	Poll bool
	// PollInterval is the time between two walks when Poll is set. It must
	// be more than 0, even when Poll is off. DefaultPollInterval is 500ms.
	PollInterval time.Duration
	// Debug keeps DWARF in builds for delve. By default builds link the way
	// `go run` does, without it.
	Debug bool
	// Instrument adds reloader's hook file (internal/instrument) to the
	// main package when it builds a `go run` Command on Linux, through
	// `go build -overlay` (the source tree is never written) and
	// -ldflags=-checklinkname=0. An instrumented app's own net.Listen can
	// then take the socket reloader holds for its address. If the
	// instrumented build fails, the app is built once more without it and
	// InstrumentFailed says why. false (the zero value) builds exactly what
	// the flags say; DefaultConfig sets true.
	Instrument bool
	// BuildDir holds built binaries. "" means a private temporary directory,
	// removed on exit.
	BuildDir string
	// StopSignal is sent to the old child's process group. nil means
	// DefaultStopSignal (SIGTERM).
	StopSignal os.Signal
	// StopTimeout bounds the wait after StopSignal before SIGKILL. 0 means
	// SIGKILL right after the stop signal; NoLimit never sends SIGKILL.
	// DefaultStopTimeout is 5s.
	StopTimeout time.Duration
	// RestartOnCrash restarts a child that exits on its own, after a
	// backoff that doubles from CrashBackoff up to CrashBackoffMax and resets
	// once a child has stayed up for CrashBackoffMax. When false (the
	// development default), a crashed child waits for the next change.
	RestartOnCrash bool
	// CrashBackoff is the first restart delay. 0 means a crashed child is
	// restarted at once, every time. DefaultCrashBackoff is 100ms.
	CrashBackoff time.Duration
	// CrashBackoffMax caps the restart delay, and a child that stays up
	// for it resets the backoff. 0 means no delay at all; NoLimit lets the
	// delay double without a cap. DefaultCrashBackoffMax is 30s.
	CrashBackoffMax time.Duration
	// Restart is the restart mode. "" means DefaultRestart (RestartOverlap).
	Restart RestartMode
	// Ready is the readiness mode. "" means DefaultReady (ReadyAuto).
	Ready ReadyMode
	// ReadyTimeout bounds the wait for READY=1 in ReadyNotify mode, and for
	// readiness in any mode. It must be more than 0; NoLimit means no
	// limit. DefaultReadyTimeout is 30s.
	ReadyTimeout time.Duration
	// ReadyDelay is how long a child without READY=1 must stay up to count
	// as ready in ReadyAuto and ReadyDelay modes. 0 means ready as soon as
	// it has started. DefaultReadyDelay is 500ms.
	ReadyDelay time.Duration
	// Shim is the executable that runs in exec-shim mode (see
	// RunShimIfRequested). "" means this executable. New opens it once; on
	// Linux every child starts from that open file, even after the file on
	// disk was replaced or removed.
	Shim string
	// OnEvent, if not nil, receives every event (see Event) as it happens,
	// one at a time, from the supervisor's goroutines. It must not block.
	// The same events go to Logger whether or not OnEvent is set.
	OnEvent func(Event)
	// Logger receives the supervisor's logs. nil means slog.Default().
	Logger *slog.Logger

	// onDemand serves RELOADER_HOOK_SOCKET (sockets on demand, ondemand.go) to
	// every child, and keeps a socket set even without an address. false
	// means none. Set by tests until instrumented builds set it.
	onDemand bool
}
