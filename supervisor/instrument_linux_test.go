package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// instrumentedApp is a main package that prints the version -ldflags -X
// sets, to show the user's ldflags survive the merge.
const instrumentedApp = `package main

import "fmt"

var version = "unset"

func main() { fmt.Println("version=" + version) }
`

// writeModule writes a module example.com/app with main.go = src into a
// temp dir and returns the dir.
func writeModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"go.mod": "module example.com/app\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// treeState lists the files under dir with their size and mtime.
func treeState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// buildSupervisor returns a Supervisor for command in dir, not running:
// the test calls prepare itself.
func buildSupervisor(t *testing.T, dir string, set func(*Config), command ...string) (*Supervisor, *eventLog) {
	t.Helper()
	log := newEventLog()
	cfg := config(func(c *Config) {
		c.Command, c.Dir, c.OnEvent = command, dir, log.record
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if set != nil {
			set(c)
		}
	})
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, log
}

// hooked reports whether the binary carries the hook file, whose
// RELOADER_HOOK_SOCKET string stays in a stripped binary.
func hooked(t *testing.T, binary string) bool {
	t.Helper()
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(listenEnvVar))
}

func TestBuildInstrumentsGoRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		command []string
		off     bool
	}{
		{"dot", []string{"go", "run", "-ldflags=-X=main.version=v1", "."}, false},
		{"files", []string{"go", "run", "-ldflags", "-X main.version=v1", "main.go"}, false},
		{"import path", []string{"go", "run", "-ldflags=-X=main.version=v1", "example.com/app"}, false},
		{"off", []string{"go", "run", "-ldflags=-X=main.version=v1", "."}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeModule(t, instrumentedApp)
			before := treeState(t, dir)
			s, log := buildSupervisor(t, dir, func(c *Config) { c.Instrument = !tt.off }, tt.command...)
			b, err := s.prepare(t.Context(), 1, "test")
			if err != nil {
				t.Fatal(err)
			}
			if b.instrumented == tt.off || hooked(t, b.argv[0]) == tt.off {
				t.Errorf("instrumented=%v, hook in the binary=%v, want %v", b.instrumented, hooked(t, b.argv[0]), !tt.off)
			}
			out, err := exec.Command(b.argv[0]).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "version=v1" {
				t.Errorf("the binary printed %q (%v), want version=v1 from the user's -ldflags", out, err)
			}
			if after := treeState(t, dir); after != before {
				t.Errorf("the build wrote the app's tree:\nbefore:\n%safter:\n%s", before, after)
			}
			if has[InstrumentFailed](log) {
				t.Errorf("events %v, want no instrument_failed", log.names())
			}
		})
	}
}

func TestBuildFallsBackWithoutInstrumentation(t *testing.T) {
	t.Parallel()
	// The app declares a name the hook file declares too.
	dir := writeModule(t, instrumentedApp+"\nvar reloaderHook = 1\n")
	s, log := buildSupervisor(t, dir, nil, "go", "run", ".")
	for gen := 1; gen <= 2; gen++ {
		b, err := s.prepare(t.Context(), gen, "test")
		if err != nil {
			t.Fatalf("gen %d: %v", gen, err)
		}
		if b.instrumented || hooked(t, b.argv[0]) {
			t.Errorf("gen %d: instrumented=%v, want a plain build", gen, b.instrumented)
		}
	}
	failed := all[InstrumentFailed](log)
	if len(failed) != 1 || !strings.Contains(failed[0].Output, "reloaderHook redeclared") {
		t.Fatalf("instrument_failed events %+v, want one naming the clash", failed)
	}
	var be *BuildError
	if !errors.As(failed[0].Err, &be) {
		t.Errorf("Err = %v, want the instrumented build's *BuildError", failed[0].Err)
	}
}

func TestBuildErrorOfTheAppKeepsInstrumentation(t *testing.T) {
	t.Parallel()
	dir := writeModule(t, "package main\n\nfunc main() { undefinedCall() }\n")
	s, log := buildSupervisor(t, dir, nil, "go", "run", ".")
	_, err := s.prepare(t.Context(), 1, "test")
	var be *BuildError
	if !errors.As(err, &be) || !bytes.Contains(be.Output, []byte("undefined: undefinedCall")) {
		t.Fatalf("prepare = %v, want the app's build error", err)
	}
	if has[InstrumentFailed](log) || !s.instrumenting() {
		t.Errorf("events %v, instrumenting=%v: the app's own error must not turn instrumentation off", log.names(), s.instrumenting())
	}
}
