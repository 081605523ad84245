package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/syncio"
	"github.com/reloader-dev/reloader/supervisor"
)

// errNothingToRun is wrapped when no command is configured.
var errNothingToRun = errors.New("nothing to run")

// buildConfig turns the layered settings into a supervisor.Config and
// validates it. It starts from supervisor.DefaultConfig (for the fields no
// key sets) and passes every key's value explicitly, so a zero written
// anywhere stays a zero.
func buildConfig(s *settings, io ioStreams) (supervisor.Config, error) {
	c := supervisor.DefaultConfig()
	var err error
	command := s.args
	if len(command) == 0 {
		command = s.argv("command", true)
	}
	binary, runArgs := s.str("run.binary"), s.list("run.args")
	build := s.argv("build.command", false)
	switch {
	case binary != "" && len(s.args) == 0 && len(command) > 0:
		return c, s.errorf("run.binary", "cannot be combined with command (%s): set one of them", s.origin("command"))
	case binary != "" && len(s.args) == 0:
		command = []string{binary}
	case len(build) > 0 && len(command) == 0:
		return c, s.errorf("run.binary", "build.command is set but no program to run: set run.binary to what it builds")
	}
	var chosen string
	if len(command) == 0 && s.fileName() == "" {
		// Zero configuration: the module's main package.
		z, err := detectMain(".")
		if err != nil {
			return c, err
		}
		command, chosen = z.Command(), z.Why
	}
	if len(command) == 0 {
		where := "no " + DefaultConfigFile + " here"
		if f := s.fileName(); f != "" {
			where = f + " sets no command"
		}
		return c, &usageError{fmt.Errorf("%w (%s): use reloader [flags] -- COMMAND, e.g. reloader -l 127.0.0.1:8080 -- go run ./cmd/api, or reloader init", errNothingToRun, where)}
	}
	c.Command = append(command, runArgs...)
	c.Chosen = chosen
	c.Build = build
	c.BuildOutput = s.str("build.output")
	c.BuildFlags = s.list("build.flags")
	c.PreBuild = s.argv("hooks.pre_build", false)
	c.PostSwap = s.argv("hooks.post_swap", false)
	c.RunDir = s.str("run.dir")
	c.WatchRoot = s.str("watch.root")
	c.WatchInclude = s.list("watch.include")
	c.WatchExclude = s.list("watch.exclude")
	c.WatchExtensions = s.list("watch.extensions")
	if c.WatchExtensions == nil {
		c.WatchExtensions = []string{} // written empty: none
	}
	c.OutputPrefix = s.str("log.prefix")
	c.EditorURL = s.str("browser.editor_url")
	c.Assets = s.list("browser.assets")
	if c.Listen, err = supervisor.ParseAddresses(s.list("listen")); err != nil {
		return c, s.errorf("listen", "%v", err)
	}
	if c.Env, err = s.env("run.env"); err != nil {
		return c, err
	}
	if c.BuildEnv, err = s.env("build.env"); err != nil {
		return c, err
	}
	var gitignore bool
	for key, dst := range map[string]*bool{
		"reuseport":           &c.ReusePort,
		"kill_stale":          &c.KillStale,
		"proxy.enabled":       &c.Proxy,
		"watch.enabled":       &c.Watch,
		"build.debug":         &c.Debug,
		"build.instrument":    &c.Instrument,
		"watch.include_tests": &c.WatchIncludeTests,
		"watch.gitignore":     &gitignore,
		"watch.poll":          &c.Poll,
		"watch.force":         &c.WatchForce,
		"browser.live_reload": &c.LiveReload,
	} {
		if *dst, err = s.boolean(key); err != nil {
			return c, err
		}
	}
	c.WatchNoGitIgnore = !gitignore
	for key, dst := range map[string]*time.Duration{
		"watch.debounce":      &c.Debounce,
		"watch.max_wait":      &c.MaxWait,
		"watch.poll_interval": &c.PollInterval,
		"run.stop_timeout":    &c.StopTimeout,
		"run.ready_timeout":   &c.ReadyTimeout,
		"run.ready_delay":     &c.ReadyDelay,
		"proxy.hold":          &c.ProxyHold,
		"bind_wait":           &c.BindWait,
	} {
		if *dst, err = s.duration(key); err != nil {
			return c, err
		}
	}
	if c.UnixSocketMode, err = s.fileMode("unix_mode"); err != nil {
		return c, err
	}
	if c.StopSignal, err = proc.ParseSignal(s.str("run.stop_signal")); err != nil {
		return c, s.errorf("run.stop_signal", "%q is not a signal such as SIGTERM, SIGINT or 15", s.str("run.stop_signal"))
	}
	steering, err := s.boolean("steering")
	if err != nil {
		return c, err
	}
	c.NoSteering = !steering
	c.ProxyPortEnv = s.str("proxy.port_env")
	for _, key := range []string{"run.restart", "run.ready"} {
		if s.str(key) == "" { // the supervisor would take "" for its default
			return c, s.errorf(key, "must not be empty")
		}
	}
	c.Restart = supervisor.RestartMode(s.str("run.restart"))
	c.Ready = supervisor.ReadyMode(s.str("run.ready"))
	if err := s.validate(c); err != nil {
		return c, err
	}
	errW := syncio.NewWriter(io.Err)
	c.Stdout, c.Stderr = io.Out, errW
	if c.Logger, err = newLogger(errW, s); err != nil {
		return c, err
	}
	return c, nil
}

func newLogger(w io.Writer, s *settings) (*slog.Logger, error) {
	var lv slog.Level
	level, format := s.str("log.level"), s.str("log.format")
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, s.errorf("log.level", "%q is not debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, s.errorf("log.format", "%q is not text or json", format)
}
