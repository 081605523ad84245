package supervisor

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// FieldError is a Config field with a bad value. It wraps ErrConfig and
// Err, so errors.Is(err, ErrConfig) holds for it.
type FieldError struct {
	// Field is the name of the Config field, e.g. "ReadyTimeout".
	Field string
	// Value is the field's value.
	Value any
	// Err says what is wrong with Value, e.g. `"-1s" is negative`.
	Err error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s: %v", ErrConfig, e.Field, e.Err)
}

// Unwrap returns ErrConfig and Err.
func (e *FieldError) Unwrap() []error { return []error{ErrConfig, e.Err} }

// Validate checks c as New would, without opening anything: it returns a
// *FieldError naming the first bad field, or nil. Checks that need the
// file system (the command exists, the watch root is allowed, the build
// target of `go run` exists) are New's.
func (c Config) Validate() error {
	bad := func(field string, value any, format string, args ...any) error {
		return &FieldError{Field: field, Value: value, Err: fmt.Errorf(format, args...)}
	}
	if len(c.Command) == 0 || c.Command[0] == "" {
		return bad("Command", c.Command, "nothing to run")
	}
	for _, f := range []struct {
		name string
		argv []string
	}{{"Build", c.Build}, {"PreBuild", c.PreBuild}, {"PostSwap", c.PostSwap}} {
		if len(f.argv) > 0 && f.argv[0] == "" {
			return bad(f.name, f.argv, "the command has an empty program name")
		}
	}
	if c.Proxy || c.LiveReload {
		for _, a := range c.Listen {
			if a.Network == "udp" {
				return bad("Listen", a, "%s is udp; the proxy speaks HTTP over tcp or unix sockets", a)
			}
		}
	}
	if c.EditorURL != "" && !strings.Contains(c.EditorURL, "{path}") {
		return bad("EditorURL", c.EditorURL, "%q has no {path}", c.EditorURL)
	}
	for _, g := range c.Assets {
		if !doublestar.ValidatePattern(cleanGlob(g)) {
			return bad("Assets", c.Assets, "bad glob %q", g)
		}
	}
	if m := c.UnixSocketMode; m != 0 {
		switch {
		case m&^os.ModePerm != 0:
			return bad("UnixSocketMode", m, "%q is not a permission such as 0660", fmt.Sprintf("%04o", uint32(m)))
		case m&0o600 != 0o600:
			return bad("UnixSocketMode", m, "%q does not let the owner read and write the socket (0600 at least)", fmt.Sprintf("%04o", uint32(m)))
		}
	}
	for _, d := range []struct {
		name     string
		d        time.Duration
		positive bool // 0 is not allowed
	}{
		{"ProxyHold", c.ProxyHold, false},
		{"BindWait", c.BindWait, false},
		{"Debounce", c.Debounce, false},
		{"MaxWait", c.MaxWait, false},
		{"PollInterval", c.PollInterval, true},
		{"StopTimeout", c.StopTimeout, false},
		{"CrashBackoff", c.CrashBackoff, false},
		{"CrashBackoffMax", c.CrashBackoffMax, false},
		{"ReadyTimeout", c.ReadyTimeout, true},
		{"ReadyDelay", c.ReadyDelay, false},
	} {
		switch {
		case d.d < 0:
			return bad(d.name, d.d, "%q is negative", d.d.String())
		case d.d == 0 && d.positive:
			return bad(d.name, d.d, "must be more than 0s")
		}
	}
	switch c.Restart {
	case "", RestartOverlap, RestartSequential:
	default:
		return bad("Restart", c.Restart, "%q is not overlap or sequential", c.Restart)
	}
	switch c.Ready {
	case "", ReadyAuto, ReadyNotify, ReadyDelay:
	default:
		return bad("Ready", c.Ready, "%q is not auto, notify or delay", c.Ready)
	}
	return nil
}

// withDefaults validates c and fills the fields whose zero value stands
// for a default (nil writers, logger and signal, "" modes). Durations are
// left as they are: they are taken literally.
func (c Config) withDefaults() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.StopSignal == nil {
		c.StopSignal = DefaultStopSignal
	}
	if c.Ready == "" {
		c.Ready = DefaultReady
	}
	if c.Restart == "" {
		c.Restart = DefaultRestart
	}
	if c.ProxyPortEnv == "" {
		c.ProxyPortEnv = DefaultProxyPortEnv
	}
	if c.UnixSocketMode == 0 {
		c.UnixSocketMode = DefaultUnixSocketMode
	}
	if c.LiveReload {
		c.Proxy = true
	}
	if c.EditorURL == "" {
		c.EditorURL = DefaultEditorURL
	}
	if c.Proxy {
		c.NoSteering = true
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	return c, nil
}

// The watcher and portdoctor read 0 as their default and a negative
// duration as none. These map a literal Config duration to that rule.

// retryWait maps BindWait: 0 (one attempt) becomes negative.
func retryWait(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// watchDebounce maps Debounce: 0 (none) becomes negative.
func watchDebounce(d time.Duration) time.Duration { return retryWait(d) }

// watchMaxWait maps MaxWait: NoLimit becomes negative (no bound), and 0
// (build at the first change) the smallest bound.
func watchMaxWait(d time.Duration) time.Duration {
	switch d {
	case NoLimit:
		return -1
	case 0:
		return time.Nanosecond
	}
	return d
}
