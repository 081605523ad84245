package supervisor

import (
	"errors"
	"reflect"
	"testing"

	"github.com/reloader-dev/reloader/watcher"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	rules := []Rule{
		{Name: "templ", Match: []string{"**/*.templ"}, Run: []string{"templ", "generate"}},
		{Name: "css", Match: []string{"assets/**/*.css"}, Exclude: []string{"assets/out.css"}, Run: []string{"tw"}, Then: ThenReload},
		{Name: "html", Match: []string{"**/*.html"}, Then: ThenRestart},
		{Name: "lint", Match: []string{"**/*.sql"}, Run: []string{"lint"}, Then: ThenNone},
	}
	batch := func(paths ...string) watcher.Batch {
		b := watcher.Batch{Count: len(paths)}
		for _, p := range paths {
			b.Paths = append(b.Paths, "/src/"+p)
		}
		return b
	}
	for _, tt := range []struct {
		name  string
		b     watcher.Batch
		rules []int
		then  Then
	}{
		{"a go file: build", batch("main.go"), nil, ThenRebuild},
		{"templ: its rule, then build", batch("views/a.templ"), []int{0}, ThenRebuild},
		{"css: reload only", batch("assets/site.css"), []int{1}, ThenReload},
		{"excluded css: no rule, a build", batch("assets/out.css"), nil, ThenRebuild},
		{"html: restart", batch("web/x.html"), []int{2}, ThenRestart},
		{"sql: none", batch("q.sql"), []int{3}, ThenNone},
		{"css and html: the stronger, restart", batch("web/x.html", "assets/a.css"), []int{1, 2}, ThenRestart},
		{"css and a go file: build", batch("assets/a.css", "main.go"), []int{1}, ThenRebuild},
		{"more paths than listed: every rule with a command, and a build",
			watcher.Batch{Paths: []string{"/src/q.sql"}, Count: 2}, []int{0, 1, 3}, ThenRebuild},
	} {
		w := classify(rules, "/src", tt.b)
		if !reflect.DeepEqual(w.rules, tt.rules) || w.then != tt.then {
			t.Errorf("%s: rules %v then %q, want %v %q", tt.name, w.rules, w.then, tt.rules, tt.then)
		}
	}
	if w := classify(rules, "/src", batch("assets/a.css")); !reflect.DeepEqual(w.paths[1], []string{"assets/a.css"}) {
		t.Errorf("css paths = %v", w.paths)
	}
	if w := classify(nil, "/src", batch("x.css")); w.then != ThenRebuild || len(w.rules) != 0 {
		t.Errorf("no rules: %+v, want a build", w)
	}
}

func TestRuleWorkMerge(t *testing.T) {
	t.Parallel()
	a := ruleWork{rules: []int{2}, paths: map[int][]string{2: {"x.css"}}, then: ThenReload}
	b := ruleWork{rules: []int{0, 2}, paths: map[int][]string{2: {"y.css"}}, then: ThenNone}
	m := a.merge(b)
	if !reflect.DeepEqual(m.rules, []int{0, 2}) || m.then != ThenReload || !reflect.DeepEqual(m.paths[2], []string{"x.css", "y.css"}) {
		t.Errorf("merge = %+v", m)
	}
	if m := (ruleWork{}).merge(b); m.then != ThenNone {
		t.Errorf("no work merged with none = %q, want none", m.then)
	}
	if m := b.merge(rebuild()); m.then != ThenRebuild {
		t.Errorf("none merged with a build = %q, want rebuild", m.then)
	}
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		rules []Rule
		ok    bool
	}{
		{"fine", []Rule{{Match: []string{"**/*.templ"}, Run: []string{"templ"}, Then: ThenRestart}}, true},
		{"bad then", []Rule{{Match: []string{"*.x"}, Then: "later"}}, false},
		{"bad glob", []Rule{{Match: []string{"[x"}}}, false},
		{"empty program", []Rule{{Match: []string{"*.x"}, Run: []string{""}}}, false},
	} {
		c := DefaultConfig()
		c.Command, c.Rules = []string{"x"}, tt.rules
		err := c.Validate()
		var fe *FieldError
		if got := !errors.As(err, &fe); got != tt.ok {
			t.Errorf("%s: Validate = %v", tt.name, err)
		}
	}
}
