package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplRule builds testdata/templapp, a module that requires the real
// github.com/a-h/templ (v0.3.1100, in its go.mod as a tool; .ci/run fetches
// and builds it), with the rule `reloader init` writes for templ. The
// first build needs the rule's output (hello_templ.go is not in testdata).
// An edit of hello.templ is served as new HTML after exactly one generate
// and one build.
func TestTemplRule(t *testing.T) {
	t.Parallel()
	s := newSession(t, t.TempDir())
	for _, f := range []string{"go.mod", "go.sum", "hello.templ", "main.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", "templapp", f))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(s.dir, f), string(b))
	}
	write(t, filepath.Join(s.dir, DefaultConfigFile), fmt.Sprintf(`listen = [%q]
command = ["go", "run", "."]
[watch]
debounce = "20ms"
%s`, s.addr, templRule(s.dir)))
	s.r = startReloader(t, s.dir)
	s.waitReady()
	if body := s.served(); body != "<h1>Hello, world</h1>" {
		t.Fatalf("first child served %q", body)
	}
	from := s.r.mark()
	tmpl := filepath.Join(s.dir, "hello.templ")
	b, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	write(t, tmpl, strings.Replace(string(b), ", world", ", templ", 1))
	s.waitEvent("rule_done", "rule=templ")
	s.waitReady()
	if body := s.served(); body != "<h1>Hello, templ</h1>" {
		t.Errorf("after the edit: served %q", body)
	}
	// What templ wrote would come before a file written now: it closes
	// the count.
	write(t, filepath.Join(s.dir, "zz.go"), "package main\n")
	s.waitEvent("building", "change="+filepath.Join(s.dir, "zz.go"))
	if n := len(s.r.events(from, "rule_done")); n != 1 {
		t.Errorf("%d generates for one edit, want 1", n)
	}
	if n := len(s.r.events(from, "building")); n != 2 {
		t.Errorf("%d builds for one edit and zz.go, want 2", n)
	}
	if n := len(s.r.events(0, "build_restarted")); n != 0 {
		t.Errorf("%d builds restarted, want 0", n)
	}
	s.shutdown()
}
