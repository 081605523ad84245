package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// depsApp is a main package that serves the version of example.com/lib,
// a module next to the app's, with the standard library only (it binds
// $PORT behind --proxy).
const depsApp = `package main

import (
	"net/http"
	"os"

	"example.com/lib"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("lib=" + lib.V + "\n")) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// depsLayout writes top/app (the main module, with a package main does not
// import) and top/lib, joined by a go.work (workspace) or by a replace
// directive, and returns top.
func depsLayout(t *testing.T, workspace bool) string {
	top := t.TempDir()
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	appMod := "module example.com/app\n\ngo 1.22\n"
	if workspace {
		write(t, filepath.Join(top, "go.work"), "go 1.22\n\nuse (\n\t./app\n\t./lib\n)\n")
	} else {
		appMod += "\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ../lib\n"
	}
	write(t, filepath.Join(top, "app", "go.mod"), appMod)
	write(t, filepath.Join(top, "app", "main.go"), depsApp)
	write(t, filepath.Join(top, "app", "unused", "unused.go"), "package unused\n")
	write(t, filepath.Join(top, "lib", "go.mod"), "module example.com/lib\n\ngo 1.22\n")
	write(t, filepath.Join(top, "lib", "lib.go"), "package lib\n\nconst V = \"v1\"\n")
	return top
}

// startDeps runs reloader on `go run .` in top/app, behind the proxy, with
// flags added before the command, and waits until the first child serves
// and the package set is known.
func startDeps(t *testing.T, top string, env []string, flags ...string) (*reloaderProc, string, int) {
	addr := freePort(t)
	// GOWORK and GOFLAGS from the test's own environment would change what
	// go sees; the workspace is found from the app's directory.
	env = append([]string{"GOWORK=", "GOFLAGS="}, env...)
	args := append([]string{"--proxy", "-l", addr, "--debounce", "20ms"}, flags...)
	r := startReloaderAt(t, reloaderBin, filepath.Join(top, "app"), env,
		append(args, "--", "go", "run", ".")...)
	_, next := r.waitEvent(0, "child_ready", buildWait)
	a, _ := r.waitEvent(0, "watching_deps", 60*time.Second)
	if !strings.Contains(a["roots"], filepath.Join(top, "lib")) {
		t.Fatalf("watching_deps roots = %q, want %s (the sibling module)", a["roots"], filepath.Join(top, "lib"))
	}
	if body, err := get("http://" + addr + "/"); err != nil || body != "lib=v1\n" {
		t.Fatalf("first child serves %q, %v; want lib=v1", body, err)
	}
	return r, addr, max(next, r.mark())
}

// Issue 16, item 3: an edit in a module the main module uses through
// go.work or a `replace ../lib` is built and served, with no watch
// configuration; an edit in a package main does not import starts no
// build.
func TestDepsSiblingModuleEditIsServed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		workspace bool
	}{{"workspace", true}, {"replace", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := depsLayout(t, tc.workspace)
			r, addr, from := startDeps(t, top, nil)
			if tc.workspace {
				a, _ := r.waitEvent(0, "watching_deps", time.Second)
				if a["work"] != filepath.Join(top, "go.work") {
					t.Errorf("watching_deps work = %q, want %s", a["work"], filepath.Join(top, "go.work"))
				}
			}
			// First the package main does not import, then the sibling
			// module: the watcher sees them in this order, so the unused
			// edit, had it counted, would be in this batch or an earlier one.
			write(t, filepath.Join(top, "app", "unused", "unused.go"), "package unused\n\nconst X = 1\n")
			write(t, filepath.Join(top, "app", "unused", "more.go"), "package unused\n")
			lib := filepath.Join(top, "lib", "lib.go")
			write(t, lib, "package lib\n\nconst V = \"v2\"\n")
			r.waitEvent(from, "swapped", buildWait, "change="+lib)
			builds := r.events(from, "building")
			if len(builds) != 1 || builds[0]["change"] != lib {
				t.Errorf("building events after the edits = %v, want one, for %s alone", builds, lib)
			}
			if body, err := get("http://" + addr + "/"); err != nil || body != "lib=v2\n" {
				t.Errorf("after the edit of %s the app serves %q, %v; want lib=v2", lib, body, err)
			}
		})
	}
}

// envApp serves two variables of its environment.
const envApp = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("A=" + os.Getenv("A") + " B=" + os.Getenv("B") + "\n"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// Issue 16, item 4: a .env value reaches the app, run.env beats it, and
// an edit to .env starts a new child without a build that serves the new
// value; a bad line leaves the serving child serving.
func TestEnvFileRestartsWithoutBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/envapp\n\ngo 1.22\n")
	write(t, filepath.Join(dir, "main.go"), envApp)
	write(t, filepath.Join(dir, ".env"), "A=file1\nB=file\n")
	addr := freePort(t)
	r := startReloaderAt(t, reloaderBin, dir, []string{"GOWORK=off", "GOFLAGS="},
		"--proxy", "-l", addr, "--debounce", "20ms", "--env", "B=run", "--", "go", "run", ".")
	_, from := r.waitEvent(0, "child_ready", buildWait)
	url := "http://" + addr + "/"
	if body, err := get(url); err != nil || body != "A=file1 B=run\n" {
		t.Fatalf("first child serves %q, %v; want A=file1 B=run (.env, beaten by run.env)", body, err)
	}

	env := filepath.Join(dir, ".env")
	write(t, env, "A=file2\nB=file\n")
	r.waitEvent(from, "restarting", 30*time.Second, "change="+env)
	_, next := r.waitEvent(from, "swapped", 30*time.Second, "change="+env)
	if b := r.events(from, "building"); len(b) != 0 {
		t.Errorf("an edit of .env built: %v", b)
	}
	if body, err := get(url); err != nil || body != "A=file2 B=run\n" {
		t.Errorf("after the edit of .env the app serves %q, %v; want A=file2 B=run", body, err)
	}

	write(t, filepath.Join(dir, ".env"), "A=file3\nnot a line\n")
	a, _ := r.waitEvent(next, "start_failed", 30*time.Second)
	if want := filepath.Join(dir, ".env") + ":2"; !strings.Contains(a["err"], want) {
		t.Errorf("start_failed err = %q, want it to name %s", a["err"], want)
	}
	if body, err := get(url); err != nil || body != "A=file2 B=run\n" {
		t.Errorf("after a bad .env the app serves %q, %v; want the serving child's A=file2 B=run", body, err)
	}
}
