package supervisor

import (
	"log/slog"
	"os"
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

// WatchingDeps reports the directories a `go run` binary is built from,
// as `go list -deps` lists them: only changes there (and to the files they
// embed, go.mod, go.sum, go.work, and what watch.root and watch.include
// add) start a build. Sent at start and whenever the set changes.
type WatchingDeps struct {
	Dirs   int      // package directories outside GOROOT and the module cache
	Embeds int      // files those packages embed
	Roots  []string // module roots outside the watch root, watched too; nil if none
	Work   string   // the go.work file in use; "" if none
}

// WatchDepsFailed reports that `go list -deps` failed (a broken go.mod,
// say): every file under Root counts until a later list succeeds. Sent
// once per run.
type WatchDepsFailed struct {
	Root string
	Err  error
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

// Restarting reports that generation Gen starts without a build, with the
// build the serving child runs, because a file that needs no build changed
// (an env file).
type Restarting struct {
	Gen    int
	Change string
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
	// Errors counts the compiler errors in Output (FILE.go:LINE: lines);
	// 0 if there are none, as for a failed hook or link, and the line
	// logged is then the same as before it was counted. MoreErrors is set
	// when the compiler stopped at "too many errors".
	Errors     int
	MoreErrors bool
	// FirstError is the FILE.go:LINE:COL of the first of them, as the
	// compiler printed it; "" when Errors is 0.
	FirstError string
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
	// InitTime is the app's own start-up: from its start to its first
	// request for a socket (an instrumented app's first listen). 0 means
	// not known: the app asked for no socket.
	InitTime time.Duration
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

// RuleDone reports that the command of a rule (Config.Rules) ran. A
// failure is a failed build: BuildFailed follows and the serving child
// keeps serving.
type RuleDone struct {
	Rule string // the rule's name, or "rule N"
	Then Then   // what follows it
	Took time.Duration
	Err  error // nil on success
}

// Stopped reports that Run stopped every child and released its sockets.
type Stopped struct{}

func (Listening) Name() string        { return "listening" }
func (Watching) Name() string         { return "watching" }
func (WatchFailed) Name() string      { return "watch_failed" }
func (WatchingDeps) Name() string     { return "watching_deps" }
func (WatchDepsFailed) Name() string  { return "watch_deps_failed" }
func (RootRemoved) Name() string      { return "root_removed" }
func (RootBack) Name() string         { return "root_back" }
func (Building) Name() string         { return "building" }
func (BuildRestarted) Name() string   { return "build_restarted" }
func (Restarting) Name() string       { return "restarting" }
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
func (RuleDone) Name() string           { return "rule_done" }
func (Stopped) Name() string            { return "stopped" }
