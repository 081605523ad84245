package supervisor

import (
	"debug/buildinfo"
	"strings"
)

// notifyModules are modules whose presence in a Go binary means the app
// reports readiness itself: listenfd (this module) and go-systemd's daemon.
var notifyModules = []string{"github.com/reloader-dev/reloader", "github.com/coreos/go-systemd"}

// sendsReady reports whether the Go binary at path links a module that
// sends READY=1. In ReadyAuto mode such a child is waited for (up to
// ReadyTimeout) instead of being taken as ready after ReadyDelay, so a slow
// start gets no traffic early. It is false for anything that is not a Go
// binary with build info.
func sendsReady(path string) bool {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	mods := []string{bi.Main.Path}
	for _, d := range bi.Deps {
		mods = append(mods, d.Path)
	}
	for _, m := range mods {
		for _, n := range notifyModules {
			if m == n || strings.HasPrefix(m, n+"/") {
				return true
			}
		}
	}
	return false
}
