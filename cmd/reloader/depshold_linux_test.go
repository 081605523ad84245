package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/reloader-dev/reloader/internal/logline"
)

// genDepsApp is depsApp (lib's version at /) that also serves, at /gen,
// its own version and the constant that the pre_build hook generates into
// the sibling module lib.
const genDepsApp = `package main

import (
	"net/http"
	"os"

	"example.com/lib"
)

const version = %q

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("lib=" + lib.V + "\n")) })
	http.HandleFunc("/gen", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("main=" + version + " gen=" + lib.Gen + "\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// genLibHook counts its runs in $1 and writes the count into $2, a Go file
// of package lib: other bytes on every run.
const genLibHook = `n=$(cat "$1" 2>/dev/null || echo 0)
n=$((n+1))
echo "$n" >"$1"
printf 'package lib\n\nconst Gen = "%s"\n' "$n" >"$2"
`

// Issue 16, item 1, for the modules outside the root: a pre_build hook or
// a [[watch.rule]] that writes new content into the sibling module ../lib
// (go generate there, sqlc into a shared module) on every run starts no
// build of its own. Each of 3 edits costs exactly one build and one run of
// the generator, none restarted, and is served with the file it wrote.
func TestDepsHookWriteInSiblingModuleIsNoChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule bool // the generator is a rule matching q.sql, not the pre_build hook
	}{{"pre_build", false}, {"rule", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testGenIntoSibling(t, tc.rule)
		})
	}
}

func testGenIntoSibling(t *testing.T, rule bool) {
	top := depsLayout(t, false)
	app := filepath.Join(top, "app", "main.go")
	gen := filepath.Join(top, "lib", "gen.go")
	write(t, app, fmt.Sprintf(genDepsApp, "v1"))
	write(t, gen, "package lib\n\nconst Gen = \"0\"\n")
	hook := filepath.Join(t.TempDir(), "gen.sh")
	write(t, hook, genLibHook)
	run := fmt.Sprintf("sh %s %s %s", hook, filepath.Join(t.TempDir(), "count"), gen)
	var flags []string
	edited, edit := app, func(v string) string { return fmt.Sprintf(genDepsApp, v) }
	if rule {
		write(t, filepath.Join(top, "app", DefaultConfigFile),
			fmt.Sprintf("[[watch.rule]]\nname = \"gen\"\nmatch = [\"*.sql\"]\nrun = %q\n", run))
		edited = filepath.Join(top, "app", "q.sql")
		write(t, edited, "-- v1\n")
		edit = func(v string) string { return "-- " + v + "\n" }
	} else {
		flags = []string{"--pre-build", run}
	}
	r, addr, from := startDeps(t, top, nil, flags...)
	url := "http://" + addr + "/gen"
	if body, err := get(url); err != nil || body != "main=v1 gen=1\n" {
		t.Fatalf("first child serves %q, %v; want main=v1 gen=1", body, err)
	}

	const edits = 3
	next := from
	for i := 2; i < 2+edits; i++ {
		v := "v" + strconv.Itoa(i)
		write(t, edited, edit(v))
		// Fail at once, not after buildWait, on the loop that this test
		// is about: the generator's write starting or restarting a build.
		line, n := r.waitFor(next, "the swap of "+v, func(line string) bool {
			return logline.Is(line, "swapped", "change="+edited) ||
				logline.Is(line, "building", "change="+gen) || logline.Is(line, "build_restarted")
		}, buildWait)
		next = n
		if !logline.Is(line, "swapped") {
			t.Fatalf("edit %s: the write into %s counted as a change: %s", v, gen, line)
		}
		mainV := v
		if rule {
			mainV = "v1"
		}
		want := fmt.Sprintf("main=%s gen=%d\n", mainV, i)
		if body, err := get(url); err != nil || body != want {
			t.Errorf("edit %s: served %q, %v; want %q (one generator run per build)", v, body, err, want)
		}
	}
	// A batch of gen.go would come after the last swap: a write after it
	// closes the count.
	zz := filepath.Join(top, "app", "zz.go")
	write(t, zz, "package main\n")
	r.waitEvent(next, "building", buildWait, "change="+zz)
	builds := r.events(from, "building")
	if len(builds) != edits+1 {
		t.Errorf("%d builds for %d edits and zz.go, want %d: %v", len(builds), edits, edits+1, builds)
	}
	for _, b := range builds {
		if b["change"] == gen {
			t.Errorf("the write into the sibling module started a build: %v", b)
		}
	}
	if n := len(r.events(0, "build_restarted")); n != 0 {
		t.Errorf("%d builds restarted, want 0", n)
	}
}
