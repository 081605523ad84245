package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	sv "github.com/reloader-dev/reloader/supervisor"
	"github.com/reloader-dev/reloader/watcher"
)

// errConfigFile is wrapped by every error about a config file or value.
var errConfigFile = errors.New("reloader: config")

// DefaultConfigFile is read from the working directory when -c is not given.
const DefaultConfigFile = ".reloader.toml"

// kind is the type of a setting, which decides what the file may hold and
// how flags and env vars are read.
type kind int

const (
	kString   kind = iota
	kBool          // true or false; env: strconv.ParseBool
	kDuration      // a string such as "500ms"; "0s" is an explicit zero
	kLimit         // a duration, but "0s" means supervisor.NoLimit
	kList          // ["a", "b"]; a string (env, file) is comma-separated
	kArgv          // ["prog", "arg"]; a string is split on white space
	kCommand       // ["prog", "arg"] runs as given; a string runs in a shell
	kEnv           // ["K=V"] or a table {K = "V"}; env: comma-separated
)

// configKey is one setting: its key in .reloader.toml, the flag that sets
// it and its default. The env var is RELOADER_ + the key upper-cased with
// "." replaced by "_", e.g. run.stop_timeout is RELOADER_RUN_STOP_TIMEOUT.
type configKey struct {
	Key   string
	Flag  string // "" only for command, which comes after --
	Short string
	Kind  kind
	Def   any // string, bool or []string
	Usage string
	// Field is the supervisor.Config field the key sets, "" if none; a
	// *supervisor.FieldError for it names this key.
	Field string
}

// Env is the key's environment variable.
func (k configKey) Env() string {
	return "RELOADER_" + strings.ToUpper(strings.ReplaceAll(k.Key, ".", "_"))
}

var configKeys = []configKey{
	{"listen", "listen", "l", kList, []string{}, "socket to own and hand to the app, repeatable: HOST:PORT, :PORT, [::1]:PORT, udp:HOST:PORT, unix:/PATH, optionally NAME=ADDR", "Listen"},
	{"command", "", "", kArgv, []string{}, "the app to run (after -- on the command line)", "Command"},
	{"steering", "steering", "", kBool, true, "give each child its own socket and steer new connections to the ready one (Linux); false shares one socket", ""},
	{"bind_wait", "bind-wait", "", kDuration, sv.DefaultBindWait.String(), "how long to retry an address someone else still holds at start-up (0s: once)", "BindWait"},
	{"kill_stale", "kill-stale", "", kBool, false, "end a holder of the address that an earlier reloader run in this directory left behind", ""},
	{"reuseport", "reuseport", "", kBool, false, "set SO_REUSEPORT on the sockets (lets other processes of your user share the port)", ""},
	{"unix_mode", "unix-mode", "", kString, fmt.Sprintf("%04o", sv.DefaultUnixSocketMode), "permission of unix: socket files, in octal (the owner needs read and write)", "UnixSocketMode"},
	{"proxy.enabled", "proxy", "", kBool, false, "serve the -l addresses as an HTTP reverse proxy to an app that binds its own port (given in $PORT)", ""},
	{"proxy.port_env", "proxy-port-env", "", kString, sv.DefaultProxyPortEnv, "environment variable that tells the app its private port", "ProxyPortEnv"},
	{"proxy.hold", "proxy-hold", "", kDuration, sv.DefaultProxyHold.String(), "longest time the proxy holds a request while no app answers", "ProxyHold"},
	{"browser.live_reload", "live-reload", "", kBool, false, "serve -l through the proxy and reload browsers at each swap, with build errors and crashes shown in the page (paths under /__reloader/ are reloader's)", ""},
	{"browser.editor_url", "editor-url", "", kString, sv.DefaultEditorURL, "link of a file:line in the error overlay: {path} (absolute), {line}, {col}", "EditorURL"},
	{"browser.assets", "asset", "", kList, []string{}, "glob of files the app reads at run time (CSS, templates): a change refreshes browsers without a build, repeatable; never list //go:embed files", "Assets"},
	{"build.command", "build-command", "", kCommand, "", "build command run before each start (a string runs in a shell); run.binary is then started", "Build"},
	{"build.output", "build-output", "", kString, "", "where the binary of a go run command is written (default: a private temp dir)", ""},
	{"build.flags", "build-flag", "", kList, []string{}, "extra go build flag for a go run command, repeatable", ""},
	{"build.env", "build-env", "", kEnv, []string{}, "KEY=VALUE added to the environment of builds and hooks, repeatable", ""},
	{"build.debug", "debug", "", kBool, false, "keep DWARF in builds for delve (slower links)", ""},
	{"build.instrument", "instrument", "", kBool, true, "Linux: add reloader's hook file to go run builds (-overlay; your tree is never written), so the app's own net.Listen can take reloader's socket", ""},
	{"run.binary", "run-binary", "", kString, "", "program to run (instead of command), e.g. what build.command writes", ""},
	{"run.args", "run-arg", "", kList, []string{}, "argument appended to the app's arguments, repeatable", ""},
	{"run.env", "env", "", kEnv, []string{}, "KEY=VALUE added to the app's environment, repeatable", ""},
	{"run.dir", "run-dir", "", kString, "", "working directory of the app (default: the current directory)", ""},
	{"run.stop_signal", "stop-signal", "", kString, "SIGTERM", "signal sent to the old child's process group", "StopSignal"},
	{"run.stop_timeout", "stop-timeout", "", kDuration, sv.DefaultStopTimeout.String(), "wait after the stop signal before SIGKILL (0s: SIGKILL at once)", "StopTimeout"},
	{"run.restart", "restart", "", kString, string(sv.DefaultRestart), "overlap (start the new child, then stop the old) or sequential (stop, then start)", "Restart"},
	{"run.ready", "ready", "", kString, string(sv.DefaultReady), "readiness: auto (READY=1, or up for ready_delay), notify (READY=1 only) or delay", "Ready"},
	{"run.ready_timeout", "ready-timeout", "", kLimit, sv.DefaultReadyTimeout.String(), "longest wait for a new child to be ready (0s: no limit)", "ReadyTimeout"},
	{"run.ready_delay", "ready-delay", "", kDuration, sv.DefaultReadyDelay.String(), "how long a child without READY=1 must stay up to count as ready", "ReadyDelay"},
	{"watch.enabled", "watch", "", kBool, true, "rebuild and swap when sources change", ""},
	{"watch.root", "watch-root", "", kString, "", "directory to watch (default: the module root)", "WatchRoot"},
	{"watch.include", "include", "", kList, []string{}, "glob (** spans directories) a changed file must match, repeatable", "WatchInclude"},
	{"watch.exclude", "exclude", "", kList, []string{}, "glob of files and directories that never count, repeatable", "WatchExclude"},
	{"watch.extensions", "ext", "", kList, watcher.DefaultExtensions(), "file extensions that count (go.mod and go.sum always do), repeatable", "WatchExtensions"},
	{"watch.include_tests", "include-tests", "", kBool, false, "count _test.go files as changes", ""},
	{"watch.gitignore", "gitignore", "", kBool, true, "skip what .gitignore and .ignore in the watch root ignore", ""},
	{"watch.debounce", "debounce", "", kDuration, sv.DefaultDebounce.String(), "quiet period after the last change before a build (0s: none)", "Debounce"},
	{"watch.max_wait", "max-wait", "", kLimit, sv.DefaultMaxWait.String(), "longest wait from a change to a build while changes keep coming (0s: no bound)", "MaxWait"},
	{"watch.poll", "poll", "", kBool, false, "poll the tree instead of using file notifications", ""},
	{"watch.poll_interval", "poll-interval", "", kDuration, sv.DefaultPollInterval.String(), "time between two polls", "PollInterval"},
	{"watch.force", "force-watch", "", kBool, false, "allow watching / or the home directory", ""},
	{"hooks.pre_build", "pre-build", "", kCommand, "", "command run before each build; its failure is a build failure", "PreBuild"},
	{"hooks.post_swap", "post-swap", "", kCommand, "", "command run after each successful swap, with RELOADER_PID", "PostSwap"},
	{"log.level", "log-level", "", kString, "info", "debug, info, warn or error", ""},
	{"log.format", "log-format", "", kString, "text", "text or json", ""},
	{"log.prefix", "log-prefix", "", kString, "[app] ", "prefix of every line the app prints", ""},
}

// negatedFlags are flags that set a bool key to false, e.g. --no-instrument
// for build.instrument: the flag name to the key.
var negatedFlags = map[string]string{"no-instrument": "build.instrument"}

// negatedFlag returns the flag of negatedFlags that sets key, "" if none.
func negatedFlag(key string) string {
	for flag, k := range negatedFlags {
		if k == key {
			return flag
		}
	}
	return ""
}

// lookupKey returns the setting named key.
func lookupKey(key string) (configKey, bool) {
	for _, k := range configKeys {
		if k.Key == key {
			return k, true
		}
	}
	return configKey{}, false
}

// addConfigFlags defines a flag for every key that has one.
func addConfigFlags(fs *pflag.FlagSet) {
	for _, k := range configKeys {
		if k.Flag == "" {
			continue
		}
		switch d := k.Def.(type) {
		case []string:
			fs.StringArrayP(k.Flag, k.Short, nil, k.Usage)
		case bool:
			fs.BoolP(k.Flag, k.Short, d, k.Usage)
		case string:
			fs.StringP(k.Flag, k.Short, d, k.Usage)
		}
		if neg := negatedFlag(k.Key); neg != "" {
			fs.Bool(neg, false, "set "+k.Key+" to false (--"+k.Flag+"=false)")
		}
	}
}

// settings are the layered values of every key: flags, then RELOADER_*
// env vars, then the config file, then defaults.
type settings struct {
	v    *viper.Viper
	fs   *pflag.FlagSet
	file *fileConfig // nil when no file is used
	// args is the command after --, which overrides the command key.
	args []string
}

// loadConfig layers defaults, the config file, RELOADER_* env vars and
// flags (in rising precedence). file is "" for the default file, which may
// be absent; a named file must exist. An empty env var is a value, not
// "unset", so RELOADER_LOG_PREFIX= means no prefix.
func loadConfig(fs *pflag.FlagSet, file string) (*settings, error) {
	v := viper.New()
	v.AllowEmptyEnv(true)
	for _, k := range configKeys {
		v.SetDefault(k.Key, k.Def)
		if err := v.BindEnv(k.Key, k.Env()); err != nil {
			return nil, err
		}
		if k.Flag != "" {
			if err := v.BindPFlag(k.Key, fs.Lookup(k.Flag)); err != nil {
				return nil, err
			}
		}
	}
	for neg, key := range negatedFlags {
		if f := fs.Lookup(neg); f != nil && f.Changed {
			on, err := strconv.ParseBool(f.Value.String())
			if err != nil {
				return nil, fmt.Errorf("%w: flag --%s: %w", errConfigFile, neg, err)
			}
			v.Set(key, !on) // a flag: above env and file, as BindPFlag's
		}
	}
	s := &settings{v: v, fs: fs}
	used := file
	if used == "" {
		used = DefaultConfigFile
	}
	fc, err := readConfigFile(used)
	switch {
	case err == nil:
		s.file = fc
		if err := v.MergeConfigMap(fc.nested()); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errConfigFile, used, err)
		}
	case file == "" && errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}
	return s, nil
}

// fileName is the config file in use, or "".
func (s *settings) fileName() string {
	if s.file == nil {
		return ""
	}
	return s.file.path
}

// origin says where the value of key comes from: "flag --x", "env
// RELOADER_X", "FILE:LINE" or "default".
func (s *settings) origin(key string) string {
	k, _ := lookupKey(key)
	if key == "command" && len(s.args) > 0 {
		return "command line"
	}
	if neg := negatedFlag(key); neg != "" {
		if f := s.fs.Lookup(neg); f != nil && f.Changed {
			return "flag --" + neg
		}
	}
	if k.Flag != "" {
		if f := s.fs.Lookup(k.Flag); f != nil && f.Changed {
			return "flag --" + k.Flag
		}
	}
	if _, ok := os.LookupEnv(k.Env()); ok {
		return "env " + k.Env()
	}
	if s.file != nil {
		if line, ok := s.file.lines[key]; ok {
			return fmt.Sprintf("%s:%d", s.file.path, line)
		}
	}
	return "default"
}

// errorf returns a config error naming where key's value comes from and key.
func (s *settings) errorf(key, format string, args ...any) error {
	return s.keyError(key, fmt.Errorf(format, args...))
}

// keyError returns err as a config error naming where key's value comes
// from and key.
func (s *settings) keyError(key string, err error) error {
	where := s.origin(key)
	if where == "default" {
		where = "default value"
	}
	return fmt.Errorf("%w: %s: %s: %w", errConfigFile, where, key, err)
}

// validate runs c.Validate and names the key of a bad field and where it
// was set.
func (s *settings) validate(c sv.Config) error {
	err := c.Validate()
	var fe *sv.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	for _, k := range configKeys {
		if k.Field == fe.Field {
			return s.keyError(k.Key, fe.Err)
		}
	}
	return err
}
