package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/reloader-dev/reloader/supervisor"
)

// str returns a string setting.
func (s *settings) str(key string) string { return s.v.GetString(key) }

// boolean returns a bool setting; an env var must hold a strconv.ParseBool
// value.
func (s *settings) boolean(key string) (bool, error) {
	switch x := s.v.Get(key).(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err != nil {
			return false, s.errorf(key, "%q is not true or false", x)
		}
		return b, nil
	}
	return s.v.GetBool(key), nil
}

// integer returns an int setting; an env var must hold a strconv.Atoi
// value.
func (s *settings) integer(key string) (int, error) {
	switch x := s.v.Get(key).(type) {
	case int:
		return x, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			return 0, s.errorf(key, "%q is not an integer", x)
		}
		return n, nil
	}
	return s.v.GetInt(key), nil
}

// fileMode returns an octal permission setting such as "0660" (or
// "0o660"). Config.Validate checks that it lets the owner read and write,
// which connecting needs.
func (s *settings) fileMode(key string) (os.FileMode, error) {
	v := strings.TrimSpace(s.str(key))
	m, err := strconv.ParseUint(strings.TrimPrefix(v, "0o"), 8, 32)
	if err != nil {
		return 0, s.errorf(key, "%q is not an octal permission such as 0660", v)
	}
	if m == 0 { // the supervisor would read 0 as its default
		return 0, s.errorf(key, "%q does not let the owner read and write the socket (0600 at least)", v)
	}
	return os.FileMode(m), nil // Config.Validate checks the rest
}

// list returns a list setting; a string (from an env var or the file) is a
// comma-separated list.
func (s *settings) list(key string) []string {
	switch x := s.v.Get(key).(type) {
	case string:
		var out []string
		for _, e := range strings.Split(x, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out
	case nil:
		return nil
	default:
		return s.v.GetStringSlice(key)
	}
}

// argv returns a command setting: a list is an argv, run as given. A string
// is split on white space (split=true, for the command key) or run in a
// shell. "" or [] mean none.
func (s *settings) argv(key string, split bool) []string {
	x, isString := s.v.Get(key).(string)
	if !isString {
		return s.list(key)
	}
	if strings.TrimSpace(x) == "" {
		return nil
	}
	if split {
		return strings.Fields(x)
	}
	return shell(x)
}

// shell returns the argv that runs script in the platform's shell. Only a
// command the user wrote as a string runs in a shell.
func shell(script string) []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd.exe", "/C", script}
	}
	return []string{"/bin/sh", "-c", script}
}

// env returns a KEY=VALUE list setting.
func (s *settings) env(key string) ([]string, error) {
	list := s.list(key)
	for _, kv := range list {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, s.errorf(key, "%q is not KEY=VALUE", kv)
		}
	}
	return list, nil
}

// duration returns a duration setting as the supervisor takes it: "0s" is
// zero, except for a kLimit key, where it is supervisor.NoLimit.
// Config.Validate rejects negative durations.
func (s *settings) duration(key string) (time.Duration, error) {
	raw := s.str(key)
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil {
		return 0, s.errorf(key, "%q is not a duration such as 500ms or 5s", raw)
	}
	if k, _ := lookupKey(key); d == 0 && k.Kind == kLimit {
		return supervisor.NoLimit, nil
	}
	return d, nil
}

// tomlValue formats the value of key the way a config file would hold it.
func (s *settings) tomlValue(key string) string {
	k, _ := lookupKey(key)
	switch k.Kind {
	case kBool:
		b, err := s.boolean(key)
		if err != nil {
			return fmt.Sprintf("%q", s.str(key))
		}
		return strconv.FormatBool(b)
	case kInt:
		n, err := s.integer(key)
		if err != nil {
			return fmt.Sprintf("%q", s.str(key))
		}
		return strconv.Itoa(n)
	case kString, kDuration, kLimit:
		return strconv.Quote(s.str(key))
	case kCommand, kArgv:
		if key == "command" && len(s.args) > 0 {
			return quoteList(s.args)
		}
		if x, ok := s.v.Get(key).(string); ok {
			return strconv.Quote(x)
		}
	}
	return quoteList(s.list(key))
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, e := range l {
		q[i] = strconv.Quote(e)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
