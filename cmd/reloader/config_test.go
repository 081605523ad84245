package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/supervisor"
)

// TestConfigLayers checks, key by key, which layer wins and that zero and
// empty values written anywhere are honoured, not replaced by defaults.
func TestConfigLayers(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), `
command = "./server -x"
[build]
flags = ["-tags=dev"]
env = { CGO_ENABLED = "0", Mixed_Case = "kept" }
[run]
stop_timeout = "0s"
ready_timeout = "0s"
ready_delay = "0s"
args = ["--port", "1"]
[watch]
debounce = "0s"
max_wait = "0s"
extensions = []
gitignore = false
include = ["**/*.go"]
[hooks]
pre_build = "go generate ./..."
post_swap = ["notify-send", "swapped"]
[log]
prefix = ""
`)
	t.Setenv("RELOADER_RUN_READY_DELAY", "200ms")
	t.Setenv("RELOADER_WATCH_POLL", "true")
	t.Setenv("RELOADER_LOG_LEVEL", "debug")
	t.Setenv("RELOADER_UNIX_MODE", "0o600")
	o, err := parse(t, dir, "--ready-delay", "300ms", "--env", "A=1")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"file string command, split", strings.Join(c.Command, " "), "./server -x --port 1"},
		{"file 0s stop_timeout: SIGKILL at once", c.StopTimeout, time.Duration(0)},
		{"file 0s ready_timeout: no limit", c.ReadyTimeout, supervisor.NoLimit},
		{"file 0s debounce: none", c.Debounce, time.Duration(0)},
		{"file 0s max_wait: no bound", c.MaxWait, supervisor.NoLimit},
		{"no key: the supervisor default", c.CrashBackoff, supervisor.DefaultCrashBackoff},
		{"flag over env over file", c.ReadyDelay, 300 * time.Millisecond},
		{"env bool", c.Poll, true},
		{"default", c.PollInterval, 500 * time.Millisecond},
		{"file empty list honoured", len(c.WatchExtensions), 0},
		{"file empty prefix honoured", c.OutputPrefix, ""},
		{"file false", c.WatchNoGitIgnore, true},
		{"env table, case kept", strings.Join(c.BuildEnv, ","), "CGO_ENABLED=0,Mixed_Case=kept"},
		{"flag list", strings.Join(c.Env, ","), "A=1"},
		{"string hook runs in a shell", strings.Join(c.PreBuild, "|"), "/bin/sh|-c|go generate ./..."},
		{"list hook runs as given", strings.Join(c.PostSwap, "|"), "notify-send|swapped"},
		{"build flags", strings.Join(c.BuildFlags, " "), "-tags=dev"},
		{"include", strings.Join(c.WatchInclude, " "), "**/*.go"},
		{"default prefix is not used", c.OutputPrefix == "[app] ", false},
		{"env unix_mode, 0o form", c.UnixSocketMode, os.FileMode(0o600)},
		{"SO_REUSEPORT off by default", c.ReusePort, false},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// An empty env var is a value too.
	t.Setenv("RELOADER_LOG_PREFIX", "")
	t.Setenv("RELOADER_WATCH_DEBOUNCE", "75ms")
	o, err = parse(t, t.TempDir(), "--", "./app")
	if err != nil {
		t.Fatal(err)
	}
	if o.Config.OutputPrefix != "" || o.Config.Debounce != 75*time.Millisecond || o.Config.StopTimeout != 5*time.Second {
		t.Errorf("env: prefix %q debounce %v stop_timeout %v", o.Config.OutputPrefix, o.Config.Debounce, o.Config.StopTimeout)
	}
}

func TestConfigBuildAndRunSections(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), `
[build]
command = ["go", "build", "-o", "bin/app", "."]
[run]
binary = "./bin/app"
args = ["-v"]
dir = "web"
`)
	o, err := parse(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if strings.Join(c.Build, " ") != "go build -o bin/app ." || strings.Join(c.Command, " ") != "./bin/app -v" || c.RunDir != "web" {
		t.Errorf("build %q command %q dir %q", c.Build, c.Command, c.RunDir)
	}
}

// TestConfigErrors checks that every bad value gives one error, exit code
// 2, naming the key and where it was written.
func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown key", "command = [\"x\"]\n\n[run]\nstop_timeot = \"1s\"\n", nil, nil,
			`.reloader.toml:4: unknown key "run.stop_timeot"`},
		{"unknown section", "command = [\"x\"]\n[server]\nport = 1\n", nil, nil,
			`.reloader.toml:2: unknown key "server"`},
		{"unknown key suggests", "command = [\"x\"]\ndebounce = \"1s\"\n", nil, nil,
			`unknown key "debounce" (did you mean "watch.debounce"?)`},
		{"wrong type", "command = [\"x\"]\n[watch]\npoll = \"yes\"\n", nil, nil,
			`.reloader.toml:3: watch.poll: want true or false, got string "yes"`},
		{"wrong type: number for duration", "command = [\"x\"]\n[run]\nstop_timeout = 5\n", nil, nil,
			`.reloader.toml:3: run.stop_timeout: want a duration string such as "500ms" or "5s", got integer 5`},
		{"wrong type in list", "command = [\"x\", 1]\n", nil, nil,
			`.reloader.toml:1: command: want a list of strings or a string, got an element integer 1`},
		{"bad duration", "command = [\"x\"]\n[watch]\n\ndebounce = \"fast\"\n", nil, nil,
			`.reloader.toml:4: watch.debounce: "fast" is not a duration`},
		{"negative duration", "command = [\"x\"]\n[run]\nready_delay = \"-1s\"\n", nil, nil,
			`.reloader.toml:3: run.ready_delay: "-1s" is negative`},
		{"bad address", "command = [\"x\"]\nlisten = [\"127.0.0.1:http\"]\n", nil, nil,
			`.reloader.toml:2: listen: supervisor: bad listen address "127.0.0.1:http"`},
		{"bad env duration", "command = [\"x\"]\n", map[string]string{"RELOADER_RUN_STOP_TIMEOUT": "soon"}, nil,
			`env RELOADER_RUN_STOP_TIMEOUT: run.stop_timeout: "soon" is not a duration`},
		{"bad env bool", "command = [\"x\"]\n", map[string]string{"RELOADER_WATCH_POLL": "maybe"}, nil,
			`env RELOADER_WATCH_POLL: watch.poll: "maybe" is not true or false`},
		{"bad flag duration", "command = [\"x\"]\n", nil, []string{"--max-wait", "1x"},
			`flag --max-wait: watch.max_wait: "1x" is not a duration`},
		{"syntax", "command = [\"x\"\n", nil, nil, `.reloader.toml:2:1: toml: expected character ]`},
		{"missing build target", "command = [\"go\", \"run\", \"./cmd/nope\"]\n", nil, nil,
			`build target ./cmd/nope does not exist`},
		{"build without binary", "[build]\ncommand = \"make\"\n", nil, nil,
			`run.binary: build.command is set but no program to run`},
		{"missing binary", "[run]\nbinary = \"./bin/nope\"\n", nil, nil, `command: exec: "./bin/nope"`},
		{"zero poll interval", "command = [\"x\"]\n[watch]\npoll_interval = \"0s\"\n", nil, nil,
			`.reloader.toml:3: watch.poll_interval: must be more than 0s`},
		{"bad unix_mode", "command = [\"x\"]\nunix_mode = \"rw-rw----\"\n", nil, nil,
			`.reloader.toml:2: unix_mode: "rw-rw----" is not an octal permission such as 0660`},
		{"unix_mode the owner cannot use", "command = [\"x\"]\n", nil, []string{"--unix-mode", "0060"},
			`flag --unix-mode: unix_mode: "0060" does not let the owner read and write the socket`},
		{"bad signal", "command = [\"x\"]\n[run]\nstop_signal = \"SIGNOPE\"\n", nil, nil,
			`.reloader.toml:3: run.stop_signal: "SIGNOPE" is not a signal`},
		{"negative limit", "command = [\"x\"]\n[watch]\nmax_wait = \"-2s\"\n", nil, nil,
			`.reloader.toml:3: watch.max_wait: "-2s" is negative`},
		{"negative env duration", "command = [\"x\"]\n", map[string]string{"RELOADER_PROXY_HOLD": "-1s"}, nil,
			`env RELOADER_PROXY_HOLD: proxy.hold: "-1s" is negative`},
		{"bad restart", "command = [\"x\"]\n[run]\n\nrestart = \"parallel\"\n", nil, nil,
			`.reloader.toml:4: run.restart: "parallel" is not overlap or sequential`},
		{"empty ready", "command = [\"x\"]\n[run]\nready = \"\"\n", nil, nil,
			`.reloader.toml:3: run.ready: must not be empty`},
		{"unix_mode out of range", "command = [\"x\"]\nunix_mode = \"1777\"\n", nil, nil,
			`.reloader.toml:2: unix_mode: "1777" is not a permission such as 0660`},
		{"proxy on udp", "command = [\"x\"]\nlisten = [\"udp:127.0.0.1:0\"]\n[proxy]\nenabled = true\n", nil, nil,
			`.reloader.toml:2: listen: LISTEN_FD_3=udp:127.0.0.1:0 is udp; the proxy speaks HTTP`},
		{"zero unix_mode", "command = [\"x\"]\n", nil, []string{"--unix-mode", "0"},
			`flag --unix-mode: unix_mode: "0" does not let the owner read and write`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, ".reloader.toml"), tt.file)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			t.Chdir(dir)
			var stderr bytes.Buffer
			code := runWithIO(context.Background(), tt.args, ioStreams{Out: &bytes.Buffer{}, Err: &stderr})
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", code, stderr.String(), exitUsage, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(stderr.String()), "\n"); n != 0 {
				t.Errorf("want one error line, got %d lines", n+1)
			}
		})
	}
}

func TestConfigCommandShowsOrigins(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), "command = [\"./app\"]\n\n[run]\nstop_timeout = \"0s\"\n")
	t.Setenv("RELOADER_WATCH_DEBOUNCE", "10ms")
	t.Chdir(dir)
	var out, stderr bytes.Buffer
	if code := runWithIO(context.Background(), []string{"config", "--ready", "notify"}, ioStreams{Out: &out, Err: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		`command = ["./app"]`, "# .reloader.toml:1",
		`run.stop_timeout = "0s"`, "# .reloader.toml:4",
		`watch.debounce = "10ms"`, "# env RELOADER_WATCH_DEBOUNCE",
		`run.ready = "notify"`, "# flag --ready",
		`run.ready_delay = "500ms"`, "# default",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config output lacks %q:\n%s", want, out.String())
		}
	}
	// The output is a config file that gives the same settings.
	write(t, filepath.Join(dir, "printed.toml"), out.String())
	if _, err := readConfigFile(filepath.Join(dir, "printed.toml")); err != nil {
		t.Errorf("printed config does not parse: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "printed.toml")); err != nil {
		t.Fatal(err)
	}
}

// TestConfigNoInstrument: build.instrument is on by default, and
// --no-instrument turns it off over the env and the file, as a flag does.
func TestConfigNoInstrument(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), "command = [\"go\", \"run\", \".\"]\n\n[build]\ninstrument = true\n")
	for _, tt := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, true},
		{"", []string{"--no-instrument"}, false},
		{"true", []string{"--no-instrument"}, false},
		{"", []string{"--no-instrument=false"}, true},
		{"", []string{"--instrument=false"}, false},
		{"false", nil, false},
	} {
		if tt.env != "" {
			t.Setenv("RELOADER_BUILD_INSTRUMENT", tt.env)
		} else {
			os.Unsetenv("RELOADER_BUILD_INSTRUMENT")
		}
		o, err := parse(t, dir, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		if o.Config.Instrument != tt.want {
			t.Errorf("env %q args %q: Instrument = %v, want %v", tt.env, tt.args, o.Config.Instrument, tt.want)
		}
	}
	os.Unsetenv("RELOADER_BUILD_INSTRUMENT")
	t.Chdir(dir)
	var out, stderr bytes.Buffer
	if code := runWithIO(context.Background(), []string{"config", "--no-instrument"}, ioStreams{Out: &out, Err: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !regexp.MustCompile(`build.instrument = false +# flag --no-instrument`).MatchString(out.String()) {
		t.Errorf("config output does not show build.instrument = false from --no-instrument:\n%s", out.String())
	}
}

// TestConfigDefaultsAreTheSupervisors: with nothing set, every key gives
// the supervisor's default, so the key table and DefaultConfig agree.
func TestConfigDefaultsAreTheSupervisors(t *testing.T) {
	o, err := parse(t, t.TempDir(), "--", "./app")
	if err != nil {
		t.Fatal(err)
	}
	got, want := o.Config, supervisor.DefaultConfig()
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"StopTimeout", got.StopTimeout, want.StopTimeout},
		{"ReadyTimeout", got.ReadyTimeout, want.ReadyTimeout},
		{"ReadyDelay", got.ReadyDelay, want.ReadyDelay},
		{"CrashBackoff", got.CrashBackoff, want.CrashBackoff},
		{"CrashBackoffMax", got.CrashBackoffMax, want.CrashBackoffMax},
		{"ProxyHold", got.ProxyHold, want.ProxyHold},
		{"BindWait", got.BindWait, want.BindWait},
		{"Debounce", got.Debounce, want.Debounce},
		{"MaxWait", got.MaxWait, want.MaxWait},
		{"PollInterval", got.PollInterval, want.PollInterval},
		{"ProxyPortEnv", got.ProxyPortEnv, want.ProxyPortEnv},
		{"UnixSocketMode", got.UnixSocketMode, want.UnixSocketMode},
		{"Ready", got.Ready, want.Ready},
		{"Restart", got.Restart, want.Restart},
		{"Instrument", got.Instrument, want.Instrument},
		{"StopSignal", got.StopSignal.String(), want.StopSignal.String()},
		{"WatchExtensions", strings.Join(got.WatchExtensions, ","), strings.Join(want.WatchExtensions, ",")},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: CLI default %v, supervisor default %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestConfigFieldErrorsNameKeyAndLine: a bad value that only
// supervisor.Config.Validate rejects is reported with its key and the
// file:line it is set on, for every validated key.
func TestConfigFieldErrorsNameKeyAndLine(t *testing.T) {
	for _, tt := range []struct {
		file string
		want string
	}{
		{"command = [\"x\"]\n[run]\nstop_timeout = \"-1s\"\n", `.reloader.toml:3: run.stop_timeout: "-1s" is negative`},
		{"command = [\"x\"]\n[run]\nready_timeout = \"-5s\"\n", `.reloader.toml:3: run.ready_timeout: "-5s" is negative`},
		{"command = [\"x\"]\n[run]\n# c\nready = \"soon\"\n", `.reloader.toml:4: run.ready: "soon" is not auto, notify or delay`},
		{"command = [\"x\"]\nbind_wait = \"-1ms\"\n", `.reloader.toml:2: bind_wait: "-1ms" is negative`},
		{"command = [\"x\"]\n[watch]\ndebounce = \"-1ms\"\n", `.reloader.toml:3: watch.debounce: "-1ms" is negative`},
		{"command = [\"x\"]\n[watch]\npoll_interval = \"-1s\"\n", `.reloader.toml:3: watch.poll_interval: "-1s" is negative`},
		{"command = [\"x\"]\n[hooks]\npost_swap = [\"\", \"x\"]\n", `.reloader.toml:3: hooks.post_swap: the command has an empty program name`},
		{"command = [\"x\"]\n[build]\nnice = 20\n", `.reloader.toml:3: build.nice: 20 is not a nice value from 1 to 19, or 0 for none`},
		{"command = [\"x\"]\n[build]\nnice = \"low\"\n", `.reloader.toml:3: build.nice: want an integer, got string "low"`},
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, ".reloader.toml"), tt.file)
		_, err := parse(t, dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !isConfigError(err) {
			t.Errorf("%q: got %v, want a config error naming %q", tt.file, err, tt.want)
		}
	}
}

func TestConfigBuildNice(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), "command = [\"x\"]\n[build]\nnice = 5\n")
	for _, tt := range []struct {
		env  string
		args []string
		want int
	}{
		{"", nil, 5},
		{"7", nil, 7},
		{"7", []string{"--build-nice", "0"}, 0},
	} {
		if tt.env != "" {
			t.Setenv("RELOADER_BUILD_NICE", tt.env)
		}
		o, err := parse(t, dir, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		if o.Config.BuildNice != tt.want {
			t.Errorf("env %q, flags %q: BuildNice = %d, want %d", tt.env, tt.args, o.Config.BuildNice, tt.want)
		}
	}
	t.Setenv("RELOADER_BUILD_NICE", "x")
	if _, err := parse(t, dir); err == nil || !strings.Contains(err.Error(), `env RELOADER_BUILD_NICE: build.nice: "x" is not an integer`) {
		t.Errorf("RELOADER_BUILD_NICE=x: %v", err)
	}
}
