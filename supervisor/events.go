package supervisor

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"
)

// An Event is something that happened to the supervisor or to one of its
// generations. Config.OnEvent receives every event as a value of one of the
// types below; the logger receives the same event as one line whose `event=`
// attribute is the event's Name, which never changes between releases.
type Event interface {
	// Name is the event's stable name: "building", "swapped", ...
	Name() string
	// record returns the log level, message and attributes of the event.
	record() (slog.Level, string, []any)
}

// Listening reports an address the supervisor owns and hands to children.
type Listening struct {
	Address
	Proxy bool // served by the supervisor's HTTP proxy
	// Asked is true for an address a child asked for on demand, bound
	// when it asked; false for one given at start (-l, inherited).
	Asked bool
}

// Watching reports that the source tree is watched for changes.
type Watching struct {
	Root string
	Poll bool
}

// WatchFailed reports that changes are not watched: the app still runs,
// and Reload (SIGHUP) still swaps.
type WatchFailed struct{ Err error }

// RootRemoved reports that the watched root was removed or renamed.
type RootRemoved struct{ Root string }

// RootBack reports that the watched root returned and is watched again.
type RootBack struct{ Root string }

// Building reports that generation Gen's build step started.
type Building struct {
	Gen    int
	Change string // what triggered it: a file, "start", a signal
}

// BuildRestarted reports that a change arrived during a build, which is
// cancelled and started again.
type BuildRestarted struct{ Change string }

// BuildFailed reports a failed build step. The serving child, if any, keeps
// serving.
type BuildFailed struct {
	Gen        int
	Err        error
	Output     []byte // the compiler's output, file:line intact
	BuildTime  time.Duration
	ServingPID int // 0 if no child serves
}

// InstrumentFailed reports that a build with reloader's hook file failed
// where the same build without it succeeded: the app runs without it, and
// later builds of the run leave it out.
type InstrumentFailed struct {
	Err    error
	Output string // the first line of the failed build's output; "" if none
}

// ChildStarted reports that generation Gen's process started.
type ChildStarted struct{ Gen, PID int }

// ChildReady reports that generation Gen is ready to serve. Via says which
// rule decided: "notify" (READY=1), "accept" (an app given a socket on
// demand accepted on it, or /proc shows a thread in accept on a socket it
// was handed), "epoll" (/proc shows a handed socket in one of its epoll
// sets), "probe" (proxy mode's connect), "delay", or
// "delay:silent-sender" or "delay:no-accept".
type ChildReady struct {
	Gen, PID  int
	Via       string
	ReadyTime time.Duration // from start to ready
}

// StartFailed reports a new child that exited or timed out before it was
// ready. The serving child, if any, keeps serving.
type StartFailed struct {
	Gen        int
	Err        error
	ServingPID int
	Output     []byte // the child's last lines (up to 40); nil if it printed none
}

// Swapped reports that generation Gen serves, in place of OldPID (0 if
// none served).
type Swapped struct {
	Gen       int
	Change    string
	OldPID    int
	NewPID    int
	BuildTime time.Duration
	SwapTime  time.Duration // from the new child's start to its promotion
}

// Crashed reports a serving child that exited on its own. With a Backoff,
// a new one starts after it; without, the next change starts one.
type Crashed struct {
	PID     int // 0 when the child never served (it failed to start)
	Status  string
	Crashes int
	Backoff time.Duration
	Restart bool
	Output  []byte // the child's last lines (up to 40); nil if it printed none or never started
}

// QueueDrained reports that an old child's steered accept queues were
// emptied, and every request it accepted was read, before its stop signal
// (in proxy mode: that every request sent to it was answered). Left counts
// connections (requests) still queued or unread when the wait ran out.
type QueueDrained struct {
	PID  int
	Left int
}

// Stopping reports that a child was sent its stop signal.
type Stopping struct {
	PID     int
	Signal  os.Signal
	Timeout time.Duration
}

// Killed reports a child that outlived its stop timeout; its process group
// was killed.
type Killed struct {
	PID         int
	StopTimeout time.Duration
}

// ChildExited reports that a child the supervisor stopped has exited.
type ChildExited struct {
	PID    int
	Status string
}

// HookDone reports a finished post_swap hook. Err is nil on success.
type HookDone struct {
	Hook string
	PID  int
	Took time.Duration
	Err  error
}

// AddressInUse explains a new child that most likely bound an address the
// supervisor holds, with the two ways to fix it.
type AddressInUse struct {
	Addr string
	// Printed is true when the child printed "address already in use";
	// false when it only exited right after starting.
	Printed bool
}

// SequentialFallback reports that generation Gen could not start next to
// the serving child PID because the app binds its own port, which PID
// holds (address already in use). From now on the old child is stopped
// before a new one starts, and Gen starts again that way at once; the
// event comes once per run.
type SequentialFallback struct {
	Gen  int
	Addr string // the address PID listens on; "" where it cannot be looked up
	PID  int
}

// CommandChosen reports the command the supervisor runs when none was
// configured, and why that one (Config.Chosen).
type CommandChosen struct {
	Command []string
	Why     string
}

// StaleKilled reports a child that an earlier run left holding an address,
// ended at start-up (Config.KillStale).
type StaleKilled struct {
	PID  int
	Addr string
}

// BrowserRefresh reports files that changed and need no build: a
// browser.assets file the app reads at run time, or the files of a rule
// with then = "reload", or `reloader notify`. Browsers that follow the app
// through the live-reload proxy swap the changed stylesheets in place when
// CSS is true, and reload otherwise.
type BrowserRefresh struct {
	Paths  []string // the changed files, relative to the watch root, "/"-separated
	CSS    bool     // every path is a stylesheet: swap them in place, no reload
	Source string   // what asked: "assets", a rule's name, or "notify"
}

// Stopped reports that Run stopped every child and released its sockets.
type Stopped struct{}

func (Listening) Name() string        { return "listening" }
func (Watching) Name() string         { return "watching" }
func (WatchFailed) Name() string      { return "watch_failed" }
func (RootRemoved) Name() string      { return "root_removed" }
func (RootBack) Name() string         { return "root_back" }
func (Building) Name() string         { return "building" }
func (BuildRestarted) Name() string   { return "build_restarted" }
func (BuildFailed) Name() string      { return "build_failed" }
func (InstrumentFailed) Name() string { return "instrument_failed" }
func (ChildStarted) Name() string     { return "child_started" }
func (ChildReady) Name() string       { return "child_ready" }
func (StartFailed) Name() string      { return "start_failed" }
func (Swapped) Name() string          { return "swapped" }
func (Crashed) Name() string          { return "crashed" }
func (QueueDrained) Name() string     { return "queue_drained" }
func (Stopping) Name() string         { return "stopping" }
func (Killed) Name() string           { return "killed" }
func (ChildExited) Name() string      { return "child_exited" }
func (e HookDone) Name() string {
	if e.Err != nil {
		return "hook_failed"
	}
	return "hook_done"
}
func (AddressInUse) Name() string       { return "address_in_use" }
func (StaleKilled) Name() string        { return "stale_killed" }
func (SequentialFallback) Name() string { return "sequential_fallback" }
func (CommandChosen) Name() string      { return "command_chosen" }
func (BrowserRefresh) Name() string     { return "browser_refresh" }
func (Stopped) Name() string            { return "stopped" }

const (
	info = slog.LevelInfo
	warn = slog.LevelWarn
	fail = slog.LevelError
)

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func (e Listening) record() (slog.Level, string, []any) {
	if e.Asked {
		return info, "listening", []any{"name", e.Address.Name, "network", e.Network, "addr", e.Addr, "proxy", e.Proxy, "asked_by", "app"}
	}
	return info, "listening", []any{"name", e.Address.Name, "network", e.Network, "addr", e.Addr, "proxy", e.Proxy}
}
func (e Watching) record() (slog.Level, string, []any) {
	return info, "watching", []any{"root", e.Root, "poll", e.Poll}
}
func (e WatchFailed) record() (slog.Level, string, []any) {
	return fail, "not watching; the app runs, and SIGHUP still rebuilds and swaps", []any{"err", e.Err}
}
func (e RootRemoved) record() (slog.Level, string, []any) {
	return fail, "the watched root was removed or renamed; still serving; watching resumes when it returns", []any{"root", e.Root}
}
func (e RootBack) record() (slog.Level, string, []any) {
	return info, "the watched root is back; watching again", []any{"root", e.Root}
}
func (e Building) record() (slog.Level, string, []any) {
	return info, "building", []any{"change", e.Change, "gen", e.Gen}
}
func (e BuildRestarted) record() (slog.Level, string, []any) {
	return info, "change during build; restarting build", []any{"change", e.Change}
}
func (e BuildFailed) record() (slog.Level, string, []any) {
	return fail, "build failed; still serving the previous child", []any{"pid", e.ServingPID, "gen", e.Gen, "err", e.Err, "build_time", ms(e.BuildTime)}
}
func (e InstrumentFailed) record() (slog.Level, string, []any) {
	return warn, "the build with reloader's hook file failed; built without it, so the app binds its own ports (set build.instrument = false to skip the attempt)", []any{"err", e.Err, "output", e.Output}
}
func (e ChildStarted) record() (slog.Level, string, []any) {
	return info, "child started", []any{"pid", e.PID, "gen", e.Gen}
}
func (e ChildReady) record() (slog.Level, string, []any) {
	return info, "child ready", []any{"pid", e.PID, "gen", e.Gen, "via", e.Via, "ready_time", ms(e.ReadyTime)}
}
func (e StartFailed) record() (slog.Level, string, []any) {
	return fail, "new child failed; still serving the previous child", []any{"pid", e.ServingPID, "gen", e.Gen, "err", e.Err}
}
func (e Swapped) record() (slog.Level, string, []any) {
	return info, "swapped", []any{"change", e.Change, "gen", e.Gen, "old_pid", e.OldPID, "new_pid", e.NewPID,
		"build_time", ms(e.BuildTime), "swap_time", ms(e.SwapTime)}
}
func (e Crashed) record() (slog.Level, string, []any) {
	if !e.Restart {
		return fail, "child exited; waiting for a change to restart it", []any{"pid", e.PID, "status", e.Status}
	}
	return fail, "child crashed; restarting after backoff", []any{"pid", e.PID, "status", e.Status, "crashes", e.Crashes, "backoff", e.Backoff}
}
func (e QueueDrained) record() (slog.Level, string, []any) {
	if e.Left > 0 {
		return warn, "old accept queue not empty or requests unread after the wait; sending stop signal", []any{"pid", e.PID, "queued", e.Left}
	}
	return info, "old accept queue empty and requests read; sending stop signal", []any{"pid", e.PID}
}
func (e Stopping) record() (slog.Level, string, []any) {
	return info, "stopping child", []any{"pid", e.PID, "signal", e.Signal.String(), "timeout", e.Timeout}
}
func (e Killed) record() (slog.Level, string, []any) {
	return warn, "child did not stop within stop_timeout; killing its process group", []any{"pid", e.PID, "stop_timeout", e.StopTimeout}
}
func (e ChildExited) record() (slog.Level, string, []any) {
	return info, "child exited", []any{"pid", e.PID, "status", e.Status}
}
func (e HookDone) record() (slog.Level, string, []any) {
	if e.Err != nil {
		return fail, e.Hook + " hook failed", []any{"pid", e.PID, "err", e.Err, "took", ms(e.Took)}
	}
	return info, e.Hook + " hook done", []any{"pid", e.PID, "took", ms(e.Took)}
}
func (e AddressInUse) record() (slog.Level, string, []any) {
	fixes := []any{
		"addr", e.Addr,
		"fix_listenfd", `take the socket reloader hands over: ln, err := listenfd.Listen("tcp", "` + e.Addr + `") instead of net.Listen (github.com/reloader-dev/reloader/listenfd)`,
		"fix_proxy", "or run reloader with --proxy: the app binds the private port in $PORT and reloader proxies to it",
	}
	if e.Printed {
		return fail, "the app binds an address reloader already holds (address already in use)", fixes
	}
	return warn, "the app exited right after starting while reloader holds its address; if it binds that address itself", fixes
}
func (e SequentialFallback) record() (slog.Level, string, []any) {
	return warn, "the app binds its own port, which the old child holds (address already in use): restarting sequentially from now on, stop then start, so requests are refused during a restart",
		[]any{"addr", e.Addr, "pid", e.PID, "gen", e.Gen,
			"zero_downtime", "let reloader build the app (command: go run .), take reloader's socket with listenfd.Listen (-l ADDR), or run with --proxy -l ADDR and bind $PORT"}
}
func (e CommandChosen) record() (slog.Level, string, []any) {
	return info, "no command configured; running the module's main package", []any{"command", strings.Join(e.Command, " "), "why", e.Why}
}
func (e StaleKilled) record() (slog.Level, string, []any) {
	return warn, "ending a child an earlier reloader run left behind", []any{"pid", e.PID, "addr", e.Addr}
}
func (e BrowserRefresh) record() (slog.Level, string, []any) {
	return info, "browser refresh", []any{"paths", strings.Join(e.Paths, ","), "css", e.CSS, "source", e.Source}
}
func (Stopped) record() (slog.Level, string, []any) { return info, "stopped", nil }

// emit delivers ev to Config.OnEvent and logs it. Events from the
// supervisor's goroutines are delivered one at a time.
func (s *Supervisor) emit(ev Event) {
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if s.live != nil {
		s.live.publish(ev)
	}
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(ev)
	}
	logEvent(s.log, ev)
}

// logEvent writes ev to log as one line with a stable event= attribute: the
// logger's subscription to the supervisor's events.
func logEvent(log *slog.Logger, ev Event) {
	level, msg, attrs := ev.record()
	if !log.Enabled(context.Background(), level) {
		return
	}
	log.Log(context.Background(), level, msg, append([]any{"event", ev.Name()}, attrs...)...)
}
