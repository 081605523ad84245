package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// errConfigFile is wrapped by every error about a config file or value.
var errConfigFile = errors.New("reloader: config")

// DefaultConfigFile is read from the working directory when -c is not given.
const DefaultConfigFile = ".reloader.toml"

// configKey is one setting: its key in .reloader.toml, the flag that sets
// it and its default. The env var is RELOADER_ + the key upper-cased with
// "." replaced by "_", e.g. run.stop_timeout is RELOADER_RUN_STOP_TIMEOUT.
type configKey struct {
	Key   string
	Flag  string
	Short string
	Def   any
	Usage string
}

var configKeys = []configKey{
	{"listen", "listen", "l", []string{}, "socket to own and hand to the app, repeatable: HOST:PORT, :PORT, [::1]:PORT, udp:HOST:PORT, unix:/PATH, optionally NAME=ADDR"},
	{"command", "", "", []string{}, "the app to run (after -- on the command line)"},
	{"steering", "steering", "", true, "give each child its own socket and steer new connections to the ready one (Linux); false shares one socket"},
	{"bind_wait", "bind-wait", "", "3s", "how long to retry an address someone else still holds at start-up"},
	{"kill_stale", "kill-stale", "", false, "end a holder of the address that an earlier reloader run in this directory left behind"},
	{"reuseport", "reuseport", "", false, "set SO_REUSEPORT on the sockets (lets other processes of your user share the port)"},
	{"proxy.enabled", "proxy", "", false, "serve the -l addresses as an HTTP reverse proxy to an app that binds its own port (given in $PORT)"},
	{"proxy.port_env", "proxy-port-env", "", "PORT", "environment variable that tells the app its private port"},
	{"proxy.hold", "proxy-hold", "", "10s", "longest time the proxy holds a request while no app answers"},
	{"watch.enabled", "watch", "", true, "rebuild and swap when sources change"},
	{"watch.root", "watch-root", "", "", "directory to watch (default: the module root)"},
	{"watch.debounce", "debounce", "", "50ms", "quiet period after the last change before a build"},
	{"build.debug", "debug", "", false, "keep DWARF in builds for delve (slower links)"},
	{"run.stop_signal", "stop-signal", "", "SIGTERM", "signal sent to the old child's process group"},
	{"run.stop_timeout", "stop-timeout", "", "5s", "wait after the stop signal before SIGKILL"},
	{"run.restart", "restart", "", "overlap", "overlap (start the new child, then stop the old) or sequential (stop, then start)"},
	{"run.ready", "ready", "", "auto", "readiness: auto (READY=1, or up for ready_delay), notify (READY=1 only) or delay"},
	{"run.ready_timeout", "ready-timeout", "", "30s", "longest wait for a new child to be ready"},
	{"run.ready_delay", "ready-delay", "", "500ms", "how long a child without READY=1 must stay up to count as ready"},
	{"log.level", "log-level", "", "info", "debug, info, warn or error"},
	{"log.format", "log-format", "", "text", "text or json"},
}

// addConfigFlags defines a flag for every key that has one.
func addConfigFlags(fs *pflag.FlagSet) {
	for _, k := range configKeys {
		switch d := k.Def.(type) {
		case []string:
			if k.Flag != "" {
				fs.StringArrayP(k.Flag, k.Short, nil, k.Usage)
			}
		case bool:
			fs.BoolP(k.Flag, k.Short, d, k.Usage)
		case string:
			fs.StringP(k.Flag, k.Short, d, k.Usage)
		}
	}
}

// loadConfig layers defaults, the config file, RELOADER_* env vars and
// flags (in rising precedence) into v. file is "" for the default file,
// which may be absent; a named file must exist.
func loadConfig(fs *pflag.FlagSet, file string) (*viper.Viper, string, error) {
	v := viper.New()
	v.SetConfigType("toml")
	for _, k := range configKeys {
		v.SetDefault(k.Key, k.Def)
		env := "RELOADER_" + strings.ToUpper(strings.ReplaceAll(k.Key, ".", "_"))
		if err := v.BindEnv(k.Key, env); err != nil {
			return nil, "", err
		}
		if k.Flag != "" {
			if err := v.BindPFlag(k.Key, fs.Lookup(k.Flag)); err != nil {
				return nil, "", err
			}
		}
	}
	used := file
	if used == "" {
		used = DefaultConfigFile
	}
	f, err := os.Open(used)
	switch {
	case err == nil:
		defer f.Close()
		if err := v.ReadConfig(f); err != nil {
			return nil, "", fmt.Errorf("%w: %s: %w", errConfigFile, used, err)
		}
		if err := checkKeys(v, used); err != nil {
			return nil, "", err
		}
	case file == "" && errors.Is(err, os.ErrNotExist):
		used = ""
	default:
		return nil, "", fmt.Errorf("%w: %w", errConfigFile, err)
	}
	return v, used, nil
}

// checkKeys rejects keys the file sets that reloader does not know.
func checkKeys(v *viper.Viper, file string) error {
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k.Key] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if !known[k] && v.InConfig(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w: %s: unknown key %q", errConfigFile, file, unknown[0])
	}
	return nil
}

// stringList reads a list key; an env var or a plain string in the file may
// hold a comma-separated list.
func stringList(v *viper.Viper, key string) []string {
	switch x := v.Get(key).(type) {
	case string:
		var out []string
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	default:
		return v.GetStringSlice(key)
	}
}

// duration reads a duration key and names the key in its error.
func duration(v *viper.Viper, key string) (time.Duration, error) {
	s := v.GetString(key)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %q is not a duration such as 500ms or 5s", errConfigFile, key, s)
	}
	return d, nil
}
