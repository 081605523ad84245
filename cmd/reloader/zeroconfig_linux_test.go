package main

import (
	"testing"
	"time"
)

// `reloader` with no config file, no command and no flag, in a module
// whose root is a main package, runs go run . and serves the app, which
// binds its own address ($ADDR, inherited from reloader's environment).
func TestZeroConfigServesTheModule(t *testing.T) {
	t.Parallel()
	dir := newApp(t, "bindapp")
	addr := freePort(t)
	r := startReloaderAt(t, reloaderBin, dir, []string{"ADDR=" + addr})
	chosen, next := r.waitEvent(0, "command_chosen", 30*time.Second)
	if chosen["command"] != "go run ." || chosen["why"] == "" {
		t.Errorf("command_chosen = %v, want go run . with a reason", chosen)
	}
	r.waitEvent(next, "child_ready", buildWait)
	wantServed(t, "http://"+addr+"/", "version=v1")
}
