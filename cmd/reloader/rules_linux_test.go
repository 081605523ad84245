package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRulesThen drives one rule of each kind through a real reloader (at
// start, every rule runs once before the first build): the files are not
// .go files, so they reach the supervisor through the rules alone. restart starts a new child without a build; none and reload only
// run (reload asks the browser to refresh); a failing rule is a failed
// build that keeps the old child serving.
func TestRulesThen(t *testing.T) {
	t.Parallel()
	s := startWithConfig(t, `
[watch]
debounce = "20ms"

[[watch.rule]]
name = "pages"
match = ["**/*.html"]
run = "echo pages rule ran"
then = "restart"

[[watch.rule]]
name = "queries"
match = ["**/*.sql"]
run = ["sh", "-c", "echo queries rule ran"]
then = "none"

[[watch.rule]]
name = "css"
match = ["static/*.css"]
exclude = ["static/out.css"]
run = "test ! -e static/site.css || cp static/site.css static/out.css"
then = "reload"

[[watch.rule]]
name = "broken"
match = ["*.txt"]
run = "if [ -e notes.txt ]; then echo broken rule output; exit 3; fi"
`)
	first := s.pids[0]

	// restart: a new child of the same binary, no build.
	from := s.r.mark()
	write(t, filepath.Join(s.dir, "web", "page.html"), "<p>hi</p>\n")
	s.waitEvent("rule_done", "rule=pages", "then=restart")
	pid := s.waitReady()
	s.waitEvent("swapped", "new_pid="+strconv.Itoa(pid), "old_pid="+strconv.Itoa(first))
	if n := len(s.r.events(from, "building")); n != 0 {
		t.Errorf("then=restart: %d builds, want none", n)
	}
	waitPid(t, s.url, pid)
	if body := s.served(); !strings.HasPrefix(body, "version=v1 ") {
		t.Errorf("after the restart: served %q", body)
	}

	// none and reload: only the command runs; reload emits browser_refresh.
	from = s.r.mark()
	write(t, filepath.Join(s.dir, "q.sql"), "select 1;\n")
	s.waitEvent("rule_done", "rule=queries", "then=none")
	write(t, filepath.Join(s.dir, "static", "site.css"), "body { color: red }\n")
	s.waitEvent("browser_refresh", "source=css", "paths=static/site.css", "css=true")
	if b, err := os.ReadFile(filepath.Join(s.dir, "static", "out.css")); err != nil || !strings.Contains(string(b), "red") {
		t.Errorf("the css rule did not run: %q, %v", b, err)
	}
	// An edit of main.go closes the count: one build, one child.
	setVersion(t, s.dir, "v2")
	s.waitEvent("building", "change="+filepath.Join(s.dir, "main.go"))
	pid = s.waitReady()
	// (A loaded machine may see main.go half written first: two builds,
	// both of main.go.)
	for _, b := range s.r.events(from, "building") {
		if b["change"] != filepath.Join(s.dir, "main.go") {
			t.Errorf("then=none and then=reload: a build for %s", b["change"])
		}
	}
	if b, c := len(s.r.events(from, "building")), len(s.r.events(from, "child_started")); c > b {
		t.Errorf("then=none and then=reload, then an edit: %d children started for %d builds", c, b)
	}
	waitPid(t, s.url, pid)

	// A failing rule is a failed build: output shown, the child kept.
	write(t, filepath.Join(s.dir, "notes.txt"), "x\n")
	s.waitEvent("rule_done", "rule=broken")
	failed := s.waitEvent("build_failed")
	if failed["pid"] != strconv.Itoa(pid) || !strings.Contains(failed["err"], "watch.rule broken: exit status 3") {
		t.Errorf("build_failed = %v, want pid %d and the rule's exit status", failed, pid)
	}
	if !strings.Contains(s.r.output(), "[broken] broken rule output") {
		t.Error("the failing rule's output was not shown")
	}
	if body := s.served(); !strings.HasPrefix(body, "version=v2 pid="+strconv.Itoa(pid)) {
		t.Errorf("after a failed rule: served %q", body)
	}
	s.shutdown()
}

// TestIdenticalRewriteStartsNoBuild rewrites main.go with its own bytes,
// with file notifications and with polling: no build. A new file written
// after it is the change of the only build that follows. Both are written
// whole (writeWhole); a poller that sees a file half-written is tested in
// the watcher package.
func TestIdenticalRewriteStartsNoBuild(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"notify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			config := "[watch]\ndebounce = \"20ms\"\n"
			if mode == "poll" {
				config += "poll = true\npoll_interval = \"20ms\"\n"
			}
			s := startWithConfig(t, config)
			from := s.r.mark()
			main := filepath.Join(s.dir, "main.go")
			b, err := os.ReadFile(main)
			if err != nil {
				t.Fatal(err)
			}
			writeWhole(t, main, string(b))
			other := filepath.Join(s.dir, "other.go")
			writeWhole(t, other, "package main\n")
			a := s.waitEvent("building")
			if a["change"] != other {
				t.Errorf("first build after the rewrite: change %q, want %s", a["change"], other)
			}
			s.waitReady()
			if n := len(s.r.events(from, "building")); n != 1 {
				t.Errorf("%d builds, want 1", n)
			}
			s.shutdown()
		})
	}
}
