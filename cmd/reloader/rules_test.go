package main

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reloader-dev/reloader/supervisor"
)

const rulesFile = `command = ["x"]
[watch]
debounce = "10ms"

[[watch.rule]]
name = "templ"
match = ["**/*.templ"]
run = ["templ", "generate"]

[[watch.rule]]
match = "db/*.sql"
exclude = ["db/scratch.sql"]
run = "sqlc generate && echo done"
then = "restart"

[[watch.rule]]
name = "css"
match = ["./assets/**/*.css"]
then = "reload"
`

// TestConfigRules: [[watch.rule]] tables reach supervisor.Config in file
// order, a run list without a shell and a string in one, and `reloader
// config` prints them as tables that parse again.
func TestConfigRules(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".reloader.toml"), rulesFile)
	o, err := parse(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []supervisor.Rule{
		{Name: "templ", Match: []string{"**/*.templ"}, Run: []string{"templ", "generate"}, Then: supervisor.ThenRebuild},
		{Match: []string{"db/*.sql"}, Exclude: []string{"db/scratch.sql"}, Run: []string{"/bin/sh", "-c", "sqlc generate && echo done"}, Then: supervisor.ThenRestart},
		{Name: "css", Match: []string{"assets/**/*.css"}, Then: supervisor.ThenReload},
	}
	if !reflect.DeepEqual(o.Config.Rules, want) {
		t.Errorf("rules:\n got %+v\nwant %+v", o.Config.Rules, want)
	}

	var out, stderr bytes.Buffer
	if code := runWithIO(context.Background(), []string{"config"}, ioStreams{Out: &out, Err: &stderr}); code != 0 {
		t.Fatalf("config: exit %d: %s", code, stderr.String())
	}
	for _, w := range []string{"[[watch.rule]] # .reloader.toml:5", "name = 'templ'", "then = 'rebuild'",
		"[[watch.rule]] # .reloader.toml:10", "then = 'restart'", "[[watch.rule]] # .reloader.toml:16"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("config output lacks %q:\n%s", w, out.String())
		}
	}
	write(t, filepath.Join(dir, "printed.toml"), out.String())
	fc, err := readConfigFile(filepath.Join(dir, "printed.toml"))
	if err != nil {
		t.Fatalf("printed config does not parse: %v", err)
	}
	if !reflect.DeepEqual(fc.rules, want) {
		t.Errorf("printed rules read back:\n got %+v\nwant %+v", fc.rules, want)
	}
}

func TestConfigRuleErrors(t *testing.T) {
	for _, tt := range []struct{ name, rules, want string }{
		{"unknown key", "[[watch.rule]]\nname = \"templ\"\nmatch = [\"*.templ\"]\nthen = \"rebuild\"\ncommand = \"x\"\n",
			`.reloader.toml:6: watch.rule[0] ("templ"): command: unknown key "command"`},
		{"bad then", "[[watch.rule]]\nmatch = [\"*.a\"]\n[[watch.rule]]\nname = \"b\"\nmatch = [\"*.b\"]\n\nthen = \"rebuid\"\n",
			`.reloader.toml:8: watch.rule[1] ("b"): then: want one of "rebuild", "restart", "reload", "none", got string "rebuid"`},
		{"bad glob", "[[watch.rule]]\nmatch = [\"**/[.templ\"]\n",
			`.reloader.toml:3: watch.rule[0]: match: bad glob "**/[.templ"`},
		{"bad exclude glob", "[[watch.rule]]\nmatch = [\"*.sql\"]\nexclude = \"a/{b\"\n",
			`.reloader.toml:4: watch.rule[0]: exclude: bad glob "a/{b"`},
		{"no match", "[[watch.rule]]\nname = \"x\"\nrun = \"true\"\n",
			`.reloader.toml:2: watch.rule[0] ("x"): match: a rule needs at least one glob`},
		{"run of numbers", "[[watch.rule]]\nmatch = [\"*.a\"]\nrun = [1]\n",
			`.reloader.toml:4: watch.rule[0]: run: want a list of strings`},
		{"rule not a table", "[watch]\nrule = \"x\"\n",
			`.reloader.toml:3: watch.rule: want [[watch.rule]] tables, got string "x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, ".reloader.toml"), "command = [\"x\"]\n"+tt.rules)
			t.Chdir(dir)
			var stderr bytes.Buffer
			code := runWithIO(context.Background(), nil, ioStreams{Out: &bytes.Buffer{}, Err: &stderr})
			if code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
}

// TestInitWritesTheTemplRule: with *.templ files in the module, init
// writes the templ rule (go tool templ when go.mod has it as a tool), and
// the config loads with it; without, it writes none.
func TestInitWritesTheTemplRule(t *testing.T) {
	for _, tt := range []struct {
		name  string
		templ bool
		tool  bool
		run   []string
	}{
		{"no templ files", false, false, nil},
		{"templ command", true, false, []string{"templ", "generate"}},
		{"go tool templ", true, true, []string{"go", "tool", "templ", "generate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := newModule(t, ".")
			if tt.templ {
				write(t, filepath.Join(dir, "views", "page.templ"), "package views\n")
			}
			if tt.tool {
				write(t, filepath.Join(dir, "go.mod"), "module example.com/m\n\ngo 1.26.0\n\ntool github.com/a-h/templ/cmd/templ\n")
			}
			if code, stderr := runIn(t, dir, ioStreams{}, "init"); code != 0 {
				t.Fatalf("init: exit %d: %s", code, stderr)
			}
			o, err := parse(t, dir)
			if err != nil {
				t.Fatalf("the written config does not load: %v", err)
			}
			var want []supervisor.Rule
			if tt.run != nil {
				want = []supervisor.Rule{{Name: "templ", Match: []string{"**/*.templ"}, Run: tt.run, Then: supervisor.ThenRebuild}}
			}
			if !reflect.DeepEqual(o.Config.Rules, want) {
				t.Errorf("rules = %+v, want %+v", o.Config.Rules, want)
			}
		})
	}
}
