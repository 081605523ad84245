package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeTree writes files (path relative to dir → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// depsModule is a module whose main imports a local package that embeds
// a file and a module replaced by ../ext, next to a package it does not
// import.
func depsModule(t *testing.T) (top, app string) {
	top = t.TempDir()
	if r, err := filepath.EvalSymlinks(top); err == nil {
		top = r
	}
	writeTree(t, top, map[string]string{
		"app/go.mod":               "module example.com/app\n\ngo 1.22\n\nrequire example.com/ext v0.0.0\n\nreplace example.com/ext => ../ext\n",
		"app/main.go":              "package main\n\nimport (\n\t\"example.com/app/lib\"\n\t\"example.com/ext\"\n)\n\nfunc main() { println(lib.Page, ext.V) }\n",
		"app/lib/lib.go":           "package lib\n\nimport _ \"embed\"\n\n//go:embed static/page.html\nvar Page string\n",
		"app/lib/static/page.html": "<p>hi</p>\n",
		"app/gen/gen.go":           "package gen\n",
		"ext/go.mod":               "module example.com/ext\n\ngo 1.22\n",
		"ext/ext.go":               "package ext\n\nconst V = 1\n",
	})
	return top, filepath.Join(top, "app")
}

func depsSupervisor(t *testing.T, app string, cfg Config) *Supervisor {
	t.Helper()
	cfg.Command, cfg.Watch = []string{"go", "run", "."}, true
	cfg.BuildEnv = append(cfg.BuildEnv, "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
	s := &Supervisor{cfg: cfg, dir: app}
	var err error
	if s.gorun, s.isGoRun, err = ParseGoRun(cfg.Command); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestListDepsNamesWhatTheBinaryIsBuiltFrom(t *testing.T) {
	t.Parallel()
	top, app := depsModule(t)
	s := depsSupervisor(t, app, Config{})
	set, err := s.listDeps(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"app", "app/lib", "ext"} {
		if !set.dirs[filepath.Join(top, d)] {
			t.Errorf("dirs %v lack %s", set.dirs, d)
		}
	}
	if set.dirs[filepath.Join(app, "gen")] {
		t.Errorf("dirs hold gen, which main does not import")
	}
	if !set.embeds[filepath.Join(app, "lib/static/page.html")] {
		t.Errorf("embeds %v lack lib/static/page.html", set.embeds)
	}
	if want := []string{filepath.Join(top, "ext")}; !slices.Equal(set.roots, want) {
		t.Errorf("roots = %v, want %v (the replace target outside the watch root)", set.roots, want)
	}
}

func TestDepWatchCountsOnlyPackageDirs(t *testing.T) {
	t.Parallel()
	top, app := depsModule(t)
	s := depsSupervisor(t, app, Config{WatchInclude: []string{"gen/keep.go"}})
	d, err := s.newDepWatch(app)
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(app, "gen/gen.go")
	if d.ignore(gen, false) {
		t.Error("before go list answers, a file of gen is ignored; every file must count then")
	}
	set, err := s.listDeps(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	d.set.Store(&set)
	for rel, counts := range map[string]bool{
		"app/main.go": true, "app/lib/lib.go": true, "app/lib/static/page.html": true, "ext/ext.go": true,
		"app/go.mod": true, "app/go.sum": true, "ext/go.mod": true,
		"app/gen/gen.go": false, "app/gen/keep.go": true, // watch.include adds it
		"app/lib/other.html": false, "app/gen/sub/x.go": false,
	} {
		if got := !d.ignore(filepath.Join(top, rel), false); got != counts {
			t.Errorf("%s counts = %v, want %v", rel, got, counts)
		}
	}
	if d.ignore(filepath.Join(app, "gen"), true) {
		t.Error("the gen directory is skipped; it must stay watched for when main imports it")
	}

	// An explicit watch.root makes every file under it count again.
	s = depsSupervisor(t, app, Config{WatchRoot: app})
	if d, err = s.newDepWatch(app); err != nil {
		t.Fatal(err)
	}
	d.set.Store(&set)
	if d.ignore(gen, false) || d.ignore(filepath.Join(top, "ext/ext.go"), false) {
		t.Error("with watch.root set, gen or the replaced module does not count")
	}
}

// go list resolves symbolic links; the watcher reports paths under the
// root as given. The package set is kept in the watcher's terms.
func TestListDepsUnderASymlinkedRoot(t *testing.T) {
	t.Parallel()
	top, _ := depsModule(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(top, link); err != nil {
		t.Skip(err)
	}
	app := filepath.Join(link, "app")
	s := depsSupervisor(t, app, Config{})
	set, err := s.listDeps(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if !set.dirs[filepath.Join(app, "lib")] || !set.embeds[filepath.Join(app, "lib/static/page.html")] {
		t.Errorf("dirs %v, embeds %v: want them under the root as given, %s", set.dirs, set.embeds, app)
	}
}
