package supervisor

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// config returns DefaultConfig changed by set (nil: unchanged).
func config(set func(c *Config)) Config {
	c := DefaultConfig()
	if set != nil {
		set(&c)
	}
	return c
}

func TestDefaultConfigIsValid(t *testing.T) {
	c := config(func(c *Config) { c.Command = []string{"x"} })
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig with a command: %v", err)
	}
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"StopTimeout", c.StopTimeout, 5 * time.Second},
		{"ReadyDelay", c.ReadyDelay, 500 * time.Millisecond},
		{"ReadyTimeout", c.ReadyTimeout, 30 * time.Second},
		{"CrashBackoff", c.CrashBackoff, 100 * time.Millisecond},
		{"CrashBackoffMax", c.CrashBackoffMax, 30 * time.Second},
		{"ProxyHold", c.ProxyHold, 10 * time.Second},
		{"BindWait", c.BindWait, 3 * time.Second},
		{"Debounce", c.Debounce, 50 * time.Millisecond},
		{"MaxWait", c.MaxWait, 2 * time.Second},
		{"PollInterval", c.PollInterval, 500 * time.Millisecond},
		{"ProxyPortEnv", c.ProxyPortEnv, "PORT"},
		{"UnixSocketMode", c.UnixSocketMode, os.FileMode(0o660)},
		{"Ready", c.Ready, ReadyAuto},
		{"Restart", c.Restart, RestartOverlap},
		{"StopSignal", c.StopSignal.String(), DefaultStopSignal.String()},
		{"WatchExtensions", strings.Join(c.WatchExtensions, ","), ".go"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestValidateNamesTheField: every check names its field in a *FieldError
// that wraps ErrConfig.
func TestValidateNamesTheField(t *testing.T) {
	for _, tt := range []struct {
		field string
		set   func(c *Config)
		want  string
	}{
		{"Command", func(c *Config) { c.Command = nil }, "nothing to run"},
		{"Command", func(c *Config) { c.Command = []string{""} }, "nothing to run"},
		{"Build", func(c *Config) { c.Build = []string{"", "x"} }, "empty program name"},
		{"PreBuild", func(c *Config) { c.PreBuild = []string{""} }, "empty program name"},
		{"PostSwap", func(c *Config) { c.PostSwap = []string{""} }, "empty program name"},
		{"Listen", func(c *Config) {
			c.Proxy, c.Listen = true, []Address{{Network: "udp", Addr: "127.0.0.1:53"}}
		}, "the proxy speaks HTTP"},
		{"UnixSocketMode", func(c *Config) { c.UnixSocketMode = 0o060 }, `"0060" does not let the owner read and write`},
		{"UnixSocketMode", func(c *Config) { c.UnixSocketMode = os.ModeDir | 0o660 }, "is not a permission"},
		{"ProxyHold", func(c *Config) { c.ProxyHold = -time.Second }, `"-1s" is negative`},
		{"BindWait", func(c *Config) { c.BindWait = -1 }, "is negative"},
		{"Debounce", func(c *Config) { c.Debounce = -1 }, "is negative"},
		{"MaxWait", func(c *Config) { c.MaxWait = -1 }, "is negative"},
		{"PollInterval", func(c *Config) { c.PollInterval = 0 }, "must be more than 0s"},
		{"PollInterval", func(c *Config) { c.PollInterval = -time.Second }, "is negative"},
		{"StopTimeout", func(c *Config) { c.StopTimeout = -1 }, "is negative"},
		{"CrashBackoff", func(c *Config) { c.CrashBackoff = -1 }, "is negative"},
		{"CrashBackoffMax", func(c *Config) { c.CrashBackoffMax = -1 }, "is negative"},
		{"ReadyTimeout", func(c *Config) { c.ReadyTimeout = 0 }, "must be more than 0s"},
		{"ReadyTimeout", func(c *Config) { c.ReadyTimeout = -1 }, "is negative"},
		{"ReadyDelay", func(c *Config) { c.ReadyDelay = -500 * time.Millisecond }, `"-500ms" is negative`},
		{"Restart", func(c *Config) { c.Restart = "parallel" }, `"parallel" is not overlap or sequential`},
		{"Ready", func(c *Config) { c.Ready = "soon" }, `"soon" is not auto, notify or delay`},
	} {
		c := config(func(c *Config) { c.Command = []string{"x"} })
		tt.set(&c)
		err := c.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want a FieldError for %s saying %q", tt.field, err, tt.field, tt.want)
			continue
		}
		if want := "supervisor: bad config: " + tt.field + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %q does not start with %q", tt.field, err, want)
		}
	}
}

// TestValidateTakesDurationsLiterally: zero and NoLimit are valid wherever
// they have a meaning, and are kept as they are.
func TestValidateTakesDurationsLiterally(t *testing.T) {
	c := config(func(c *Config) {
		c.Command = []string{"x"}
		c.ProxyHold, c.BindWait, c.Debounce, c.MaxWait = 0, 0, 0, 0
		c.StopTimeout, c.CrashBackoff, c.CrashBackoffMax, c.ReadyDelay = 0, 0, 0, 0
		c.ReadyTimeout, c.PollInterval = NoLimit, NoLimit
		c.Ready, c.Restart, c.StopSignal, c.UnixSocketMode = "", "", nil, 0
	})
	got, err := c.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got.StopTimeout != 0 || got.ReadyDelay != 0 || got.ReadyTimeout != NoLimit || got.CrashBackoff != 0 {
		t.Errorf("durations changed: %+v", got)
	}
	if got.Ready != ReadyAuto || got.Restart != RestartOverlap || got.StopSignal != DefaultStopSignal || got.UnixSocketMode != DefaultUnixSocketMode {
		t.Errorf("nil and empty fields not filled: ready %q restart %q signal %v mode %v", got.Ready, got.Restart, got.StopSignal, got.UnixSocketMode)
	}
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"BindWait 0: one attempt", retryWait(0), -1},
		{"BindWait NoLimit", retryWait(NoLimit), NoLimit},
		{"Debounce 0: none", watchDebounce(0), -1},
		{"MaxWait NoLimit: no bound", watchMaxWait(NoLimit), -1},
		{"MaxWait 0: at the first change", watchMaxWait(0), time.Nanosecond},
		{"MaxWait kept", watchMaxWait(time.Second), time.Second},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
