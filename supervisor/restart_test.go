package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// An env file change starts a new child at once, without a build; one
// during a build is covered by that build's start; one while a child
// starts waits for it and restarts after.
func TestLoopRestartNeedsNoBuild(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, nil, f)
		time.Sleep(2 * time.Second) // serving gen 1
		r.s.restarts <- ".env"
		synctest.Wait()
		time.Sleep(time.Second)
		sw := all[Swapped](r)
		if len(sw) != 2 || sw[1].Change != ".env" || sw[1].BuildTime != 0 || sw[1].SwapTime != f.readyTime {
			t.Fatalf("swaps = %+v, want a second one for .env with no build time and the ready time %v", sw, f.readyTime)
		}
		if rs := all[Restarting](r); len(rs) != 1 || rs[0].Gen != 2 {
			t.Errorf("restarting events = %+v, want one for gen 2", rs)
		}

		r.s.Reload("main.go") // gen 3 builds for 1s
		synctest.Wait()
		r.s.restarts <- ".env" // its child reads the env files when it starts
		synctest.Wait()
		time.Sleep(1050 * time.Millisecond) // built, starting
		r.s.restarts <- ".env"              // waits behind the start
		synctest.Wait()
		time.Sleep(2 * time.Second)
		r.stop(t)
		sw = all[Swapped](r)
		var changes []string
		for _, s := range sw {
			changes = append(changes, s.Change)
		}
		wantEq(t, "swap changes", changes, []string{"start", ".env", "main.go", ".env"})
		if sw[3].BuildTime != 0 {
			t.Errorf("the queued restart built for %v", sw[3].BuildTime)
		}
	})
}

func TestReadEnvFilesPrecedenceAndErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".env":       "# defaults\nA=env\nB=env\nexport C=\"c d\"\n",
		"local.env":  "B=local\n",
		"broken.env": "OK=1\nthis is not a line\n",
		"open.env":   "OK=1\nQ=\"never closed\nX=1\n",
	})
	vars, err := ReadEnvFiles(dir, []EnvFile{{Path: ".env"}, {Path: "local.env"}, {Path: "missing.env", Optional: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]EnvVar{}
	for _, v := range vars {
		got[v.Key] = v
	}
	if v := got["A"]; v.Value != "env" || v.File != filepath.Join(dir, ".env") || v.Line != 2 {
		t.Errorf("A = %+v, want env from .env:2", v)
	}
	if v := got["B"]; v.Value != "local" || v.File != filepath.Join(dir, "local.env") || v.Line != 1 {
		t.Errorf("B = %+v, want local from local.env:1 (a later file wins)", v)
	}
	if v := got["C"]; v.Value != "c d" || v.Line != 4 {
		t.Errorf("C = %+v, want \"c d\" from line 4", v)
	}

	// run.env beats the files, which beat the inherited environment.
	env := appEnv([]string{"A=shell", "B=shell", "D=shell"}, envList(vars), []string{"A=run"})
	for _, want := range []string{"A=run", "B=local", "C=c d", "D=shell"} {
		if !slices.Contains(env, want) {
			t.Errorf("app env %v lacks %s", env, want)
		}
	}

	for name, line := range map[string]string{"broken.env": ":2:", "open.env": ":2:"} {
		_, err := ReadEnvFiles(dir, []EnvFile{{Path: name}})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)+line) {
			t.Errorf("%s: err = %v, want it to name %s%s", name, err, name, line)
		}
	}
	_, err = ReadEnvFiles(dir, []EnvFile{{Path: "missing.env"}})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.env") {
		t.Errorf("a missing file that is not optional: err = %v, want one naming it", err)
	}
}
