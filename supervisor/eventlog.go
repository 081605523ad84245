package supervisor

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// How each event is logged: its level, message and attributes (record), and
// the delivery of events to Config.OnEvent and the logger (emit).

const (
	info = slog.LevelInfo
	warn = slog.LevelWarn
	fail = slog.LevelError
)

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func (e Listening) record() (slog.Level, string, []any) {
	var attrs []any
	if e.Address.Name != "" { // an unnamed address, and one the app asked for, has none
		attrs = append(attrs, "name", e.Address.Name)
	}
	attrs = append(attrs, "network", e.Network, "addr", e.Addr, "proxy", e.Proxy)
	if e.Asked {
		attrs = append(attrs, "asked_by", "app")
	}
	return info, "listening", attrs
}
func (e Watching) record() (slog.Level, string, []any) {
	return info, "watching", []any{"root", e.Root, "poll", e.Poll}
}
func (e WatchingDeps) record() (slog.Level, string, []any) {
	return info, "watching the packages the binary is built from", []any{"dirs", e.Dirs, "embeds", e.Embeds, "roots", strings.Join(e.Roots, ","), "work", e.Work}
}
func (e WatchDepsFailed) record() (slog.Level, string, []any) {
	return warn, "go list -deps failed; every file under the watch root counts until it succeeds", []any{"root", e.Root, "err", e.Err}
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
func (e Restarting) record() (slog.Level, string, []any) {
	return info, "restarting the app without a build", []any{"change", e.Change, "gen", e.Gen}
}
func (e BuildRestarted) record() (slog.Level, string, []any) {
	return info, "change during build; restarting build", []any{"change", e.Change}
}
func (e BuildFailed) record() (slog.Level, string, []any) {
	attrs := []any{"pid", e.ServingPID, "gen", e.Gen, "err", e.Err, "build_time", ms(e.BuildTime)}
	if e.Errors == 0 {
		return fail, "build failed; still serving the previous child", attrs
	}
	b := buildErrors{Count: e.Errors, More: e.MoreErrors, First: e.FirstError}
	n := strconv.Itoa(e.Errors)
	if e.MoreErrors {
		n += "+"
	}
	return fail, "build failed: " + b.String() + "; still serving the previous child", append(attrs, "errors", n, "first", e.FirstError)
}
func (e InstrumentFailed) record() (slog.Level, string, []any) {
	return warn, "the build with reloader's hook file failed; built without it, so the app binds its own ports (set build.instrument = false to skip the attempt)", []any{"err", e.Err, "output", e.Output}
}
func (e ChildStarted) record() (slog.Level, string, []any) {
	return info, "child started", []any{"pid", e.PID, "gen", e.Gen}
}
func (e ChildReady) record() (slog.Level, string, []any) {
	attrs := []any{"pid", e.PID, "gen", e.Gen, "via", e.Via, "ready_time", ms(e.ReadyTime)}
	if e.InitTime > 0 {
		attrs = append(attrs, "init_time", ms(e.InitTime))
	}
	return info, "child ready", attrs
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
	return info, "old accept queue empty and requests answered; sending stop signal", []any{"pid", e.PID}
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
func (e RuleDone) record() (slog.Level, string, []any) {
	if e.Err != nil {
		return fail, "rule failed", []any{"rule", e.Rule, "then", string(e.Then), "took", ms(e.Took), "err", e.Err}
	}
	return info, "rule done", []any{"rule", e.Rule, "then", string(e.Then), "took", ms(e.Took)}
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
