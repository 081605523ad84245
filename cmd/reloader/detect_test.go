package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// detectMain over module layouts written as data: file path to content.
// "" content is a main package.
func TestDetectMain(t *testing.T) {
	t.Parallel()
	const mod = "module example.com/m\n\ngo 1.26.0\n"
	lib := func(name string) string { return "package " + name + "\n" }
	for _, tc := range []struct {
		name  string
		files map[string]string
		from  string // where reloader runs, relative to the module root
		want  string // the package chosen; "" if an error
		errs  []string
	}{
		{"root main", map[string]string{"main.go": ""}, ".", ".", nil},
		{"root main wins over cmd", map[string]string{"main.go": "", "cmd/a/main.go": "", "cmd/b/main.go": ""}, ".", ".", nil},
		{"one cmd main", map[string]string{"lib.go": lib("m"), "cmd/api/main.go": "", "cmd/api/h.go": lib("main")}, ".", "./cmd/api", nil},
		{"cmd libraries do not count", map[string]string{"cmd/api/main.go": "", "cmd/shared/s.go": lib("shared"), "cmd/README": "x"}, ".", "./cmd/api", nil},
		{"ignored generator is no main", map[string]string{"lib.go": lib("m"), "gen.go": "//go:build ignore\n\npackage main\n", "cmd/api/main.go": ""}, ".", "./cmd/api", nil},
		{"test files do not count", map[string]string{"x_test.go": "", "cmd/api/main.go": ""}, ".", "./cmd/api", nil},
		{"from below the root", map[string]string{"main.go": "", "internal/x/x.go": lib("x")}, "internal/x", "../..", nil},
		{"from below, cmd main", map[string]string{"lib.go": lib("m"), "cmd/api/main.go": "", "web/w.go": lib("web")}, "web", "../cmd/api", nil},
		{"several cmd mains", map[string]string{"lib.go": lib("m"), "cmd/api/main.go": "", "cmd/worker/main.go": ""}, ".", "",
			[]string{"several main packages under cmd/ (./cmd/api, ./cmd/worker)", "reloader -- go run ./cmd/api", ".reloader.toml"}},
		{"no main", map[string]string{"lib.go": lib("m"), "tools/x/main.go": ""}, ".", "",
			[]string{"its root has package m and cmd/ has no main package", "reloader -- go run", ".reloader.toml"}},
		{"no Go files", map[string]string{"README.md": "x"}, ".", "",
			[]string{"its root has no Go files", "reloader -- go run"}},
		{"not a module", nil, ".", "", []string{"not in a Go module (no go.mod)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if tc.files != nil {
				write(t, filepath.Join(root, "go.mod"), mod)
			}
			for path, content := range tc.files {
				if content == "" {
					content = "package main\n\nfunc main() {}\n"
				}
				write(t, filepath.Join(root, path), content)
			}
			z, err := detectMain(filepath.Join(root, tc.from))
			if tc.want != "" {
				if err != nil || z.Pkg != tc.want || z.Why == "" {
					t.Fatalf("detectMain = %+v, %v; want %s with a reason", z, err, tc.want)
				}
				if got := strings.Join(z.Command(), " "); got != "go run "+tc.want {
					t.Errorf("command = %q", got)
				}
				return
			}
			if err == nil || !errors.Is(err, errNothingToRun) {
				t.Fatalf("detectMain = %+v, %v; want an error wrapping errNothingToRun", z, err)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("error %v is not a usage error", err)
			}
			for _, s := range tc.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// With no config file and no command, reloader runs the module's main
// package and says why; init writes the same choice. A config file, or a
// command, is taken as it is.
func TestZeroConfigChoosesAndInitAgrees(t *testing.T) {
	dir := newModule(t, ".", "cmd/tool")
	o, err := parse(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.Config.Command, " "); got != "go run ." || o.Config.Chosen == "" {
		t.Errorf("zero config: command %q chosen %q; want go run . with a reason", got, o.Config.Chosen)
	}
	if o, err := parse(t, dir, "--", "go", "run", "./cmd/tool"); err != nil || o.Config.Chosen != "" {
		t.Errorf("with a command: %v, chosen %q; want none chosen", err, o.Config.Chosen)
	}
	if code, stderr := runIn(t, dir, ioStreams{}, "init"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	o, err = parse(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.Config.Command, " "); got != "go run ." || o.Config.Chosen != "" {
		t.Errorf("after init: command %q chosen %q; want the file's go run . and nothing chosen", got, o.Config.Chosen)
	}
}
