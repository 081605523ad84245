package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// newModule writes a module with the given main packages (dirs relative to
// the module root) and one library package.
func newModule(t *testing.T, mains ...string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.26.0\n")
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n")
	for _, m := range mains {
		write(t, filepath.Join(dir, m, "main.go"), "package main\n\nfunc main() {}\n")
	}
	return dir
}

func runIn(t *testing.T, dir string, io ioStreams, args ...string) (int, string) {
	t.Helper()
	t.Chdir(dir)
	var stderr bytes.Buffer
	if io.Out == nil {
		io.Out = &bytes.Buffer{}
	}
	io.Err = &stderr
	return runWithIO(context.Background(), args, io), stderr.String()
}

func TestInitWritesAConfigThatParses(t *testing.T) {
	dir := newModule(t, "cmd/api")
	if code, stderr := runIn(t, dir, ioStreams{}, "init", "--listen", "127.0.0.1:9999"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	o, err := parse(t, dir)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	if got := strings.Join(o.Config.Command, " "); got != "go run ./cmd/api" {
		t.Errorf("command = %q", got)
	}
	if len(o.Config.Listen) != 1 || o.Config.Listen[0].Addr != "127.0.0.1:9999" {
		t.Errorf("listen = %+v", o.Config.Listen)
	}
	// Never overwritten without --force.
	code, stderr := runIn(t, dir, ioStreams{}, "init")
	if code != exitUsage || !strings.Contains(stderr, "already exists; use --force") {
		t.Errorf("second init: exit %d %q", code, stderr)
	}
	if code, stderr := runIn(t, dir, ioStreams{}, "init", "--force"); code != 0 {
		t.Errorf("init --force: exit %d %q", code, stderr)
	}
	o, err = parse(t, dir)
	if err != nil || o.Config.Listen[0].Addr != "127.0.0.1:8080" {
		t.Errorf("after --force: %v %+v, want the default listen address", err, o)
	}
}

func TestInitChoosesAmongMainPackages(t *testing.T) {
	dir := newModule(t, "cmd/api", "cmd/worker")
	code, stderr := runIn(t, dir, ioStreams{}, "init")
	if code != exitUsage || !strings.Contains(stderr, "./cmd/api, ./cmd/worker") || !strings.Contains(stderr, "--main") {
		t.Errorf("ambiguous init without a terminal: exit %d %q", code, stderr)
	}
	if code, stderr := runIn(t, dir, ioStreams{}, "init", "--main", "cmd/worker"); code != 0 {
		t.Fatalf("init --main: exit %d %q", code, stderr)
	}
	if o, err := parse(t, dir); err != nil || strings.Join(o.Config.Command, " ") != "go run ./cmd/worker" {
		t.Errorf("--main: %v %v", err, o)
	}
	var out bytes.Buffer
	io := ioStreams{In: strings.NewReader("7\n1\n"), InTTY: true, Out: &out}
	if code, stderr := runIn(t, dir, io, "init", "--force"); code != 0 {
		t.Fatalf("interactive init: exit %d %q", code, stderr)
	}
	if !strings.Contains(out.String(), "2) ./cmd/worker") {
		t.Errorf("prompt: %q", out.String())
	}
	if o, err := parse(t, dir); err != nil || strings.Join(o.Config.Command, " ") != "go run ./cmd/api" {
		t.Errorf("interactive choice: %v %v", err, o)
	}
	if code, stderr := runIn(t, dir, ioStreams{}, "init", "--force", "--main", "./lib"); code != exitUsage {
		t.Errorf("--main of a library: exit %d %q", code, stderr)
	}
}

// TestInitTemplateShowsDefaults: every commented-out duration, switch and
// named setting in the written file shows the key's default, so the file
// never pins an outdated one.
func TestInitTemplateShowsDefaults(t *testing.T) {
	shown := map[string]bool{"unix_mode": true, "run.stop_signal": true, "watch.extensions": true,
		"log.level": true, "log.format": true, "log.prefix": true, "run.ready": true}
	section, checked := "", 0
	for _, line := range strings.Split(initTemplate("./cmd/api", "127.0.0.1:8080"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]") + "."
			continue
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "# "), " = ")
		if !ok || strings.Contains(name, " ") {
			continue
		}
		k, ok := lookupKey(section + name)
		if !ok || !(k.Kind == kDuration || k.Kind == kLimit || k.Kind == kBool || shown[k.Key]) {
			continue
		}
		value, _, _ = strings.Cut(value, "  #")
		var want string
		switch d := k.Def.(type) {
		case string:
			want = strconv.Quote(d)
		case bool:
			want = strconv.FormatBool(d)
		case []string:
			want = quoteList(d)
		}
		if strings.TrimSpace(value) != want {
			t.Errorf("%s: the init file shows %s, the default is %s", k.Key, value, want)
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d defaults checked", checked)
	}
}
