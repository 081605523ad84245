package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/supervisor"
)

// parse runs the root command in dir with runF capturing the options.
func parse(t *testing.T, dir string, args ...string) (*RootOptions, error) {
	t.Helper()
	t.Chdir(dir)
	var got *RootOptions
	var errBuf bytes.Buffer
	cmd := newCmdRoot(ioStreams{Out: &bytes.Buffer{}, Err: &errBuf}, func(_ context.Context, o *RootOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return got, err
}

func TestRootFlagsAndCommand(t *testing.T) {
	o, err := parse(t, t.TempDir(), "-l", "web=127.0.0.1:8080", "-l", "unix:/tmp/a.sock", "--stop-timeout", "2s", "--ready", "notify", "--", "go", "run", "-race", "./cmd/api", "-v")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if strings.Join(c.Command, " ") != "go run -race ./cmd/api -v" {
		t.Errorf("command = %q", c.Command)
	}
	if len(c.Listen) != 2 || c.Listen[0].Name != "web" || c.Listen[1].Network != "unix" {
		t.Errorf("listen = %+v", c.Listen)
	}
	if c.StopTimeout != 2*time.Second || c.Ready != supervisor.ReadyNotify {
		t.Errorf("stop_timeout=%v ready=%v", c.StopTimeout, c.Ready)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), `
listen = ["127.0.0.1:1111"]
command = ["./server", "-x"]
[run]
stop_timeout = "7s"
ready_delay = "100ms"
ready_timeout = "9s"
`)
	t.Setenv("RELOADER_RUN_STOP_TIMEOUT", "8s")
	t.Setenv("RELOADER_RUN_READY_DELAY", "200ms")
	o, err := parse(t, dir, "--ready-delay", "300ms")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	for _, tt := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"file", c.ReadyTimeout, 9 * time.Second},
		{"env over file", c.StopTimeout, 8 * time.Second},
		{"flag over env", c.ReadyDelay, 300 * time.Millisecond},
		{"default", c.Debounce, 50 * time.Millisecond},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if strings.Join(c.Command, " ") != "./server -x" || c.Listen[0].Addr != "127.0.0.1:1111" {
		t.Errorf("command %q listen %+v from file", c.Command, c.Listen)
	}
}

func TestBadInputExitsTwoAndNamesIt(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "bad.toml"), "command = [\"x\"]\nlisten_on = [\":1\"]\n")
	write(t, filepath.Join(dir, "dur.toml"), "command = [\"x\"]\n[run]\nstop_timeout = \"soon\"\n")
	t.Chdir(dir)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", "bad.toml"}, `bad.toml:2: unknown key "listen_on"`},
		{[]string{"-c", "dur.toml"}, `dur.toml:3: run.stop_timeout: "soon" is not a duration`},
		{[]string{"-c", "missing.toml"}, "missing.toml"},
		{[]string{"-l", "127.0.0.1:http", "--", "./x"}, `"127.0.0.1:http"`},
		{[]string{"--", "go", "run"}, "names no package"},
		{[]string{"--ready", "soon", "--", "./x"}, `ready: "soon"`},
		{nil, "nothing to run"},
	} {
		var stderr bytes.Buffer
		code := runWithIO(context.Background(), tt.args, ioStreams{Out: &bytes.Buffer{}, Err: &stderr})
		if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("reloader %q: exit %d, stderr %q; want exit %d naming %q", tt.args, code, stderr.String(), exitUsage, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := runWithIO(context.Background(), []string{"version"}, ioStreams{Out: &out, Err: &out}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if !strings.HasPrefix(out.String(), "reloader ") {
		t.Errorf("version output %q", out.String())
	}
}

func TestRootConfigFileRunsTheExample(t *testing.T) {
	o, err := parse(t, repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Config.Command, " ") != "go run ./examples/hello" || o.Config.Listen[0].Addr != "127.0.0.1:8080" {
		t.Errorf("root .reloader.toml: command %q listen %+v", o.Config.Command, o.Config.Listen)
	}
}

func TestReloaderBinaryBuilt(t *testing.T) {
	if _, err := os.Stat(reloaderBin); err != nil {
		t.Fatalf("TestMain did not build reloader: %v", err)
	}
}

func TestJSONLogs(t *testing.T) {
	t.Chdir(t.TempDir())
	var buf bytes.Buffer
	var got *RootOptions
	cmd := newCmdRoot(ioStreams{Out: &bytes.Buffer{}, Err: &buf}, func(_ context.Context, o *RootOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--log-format", "json", "--", "./server"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	got.Config.Logger.Info("child ready", "pid", 42)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "child ready" || rec["pid"] != float64(42) {
		t.Errorf("json log line %q: %v %v", buf.String(), rec, err)
	}
	var stderr bytes.Buffer
	if code := runWithIO(context.Background(), []string{"--log-format", "xml", "--", "./server"}, ioStreams{Out: &bytes.Buffer{}, Err: &stderr}); code != exitUsage || !strings.Contains(stderr.String(), "log.format") {
		t.Errorf("bad log format: exit %d, %q", code, stderr.String())
	}
}
