package supervisor

import (
	"bytes"
	"debug/buildinfo"
	"io"
	"os"
	"strings"
)

// senders maps the modules that can send READY=1 to the functions that
// send it: listenfd (this module) and go-systemd's daemon package. A Go
// binary keeps the names of the functions it links, inlined ones too, in
// its function-name table even when stripped (-ldflags=-s -w).
var senders = map[string][]string{
	"github.com/reloader-dev/reloader": {"github.com/reloader-dev/reloader/listenfd.notify"},
	"github.com/coreos/go-systemd":     {"github.com/coreos/go-systemd/v22/daemon.SdNotify", "github.com/coreos/go-systemd/daemon.SdNotify"},
}

// sendsReady reports whether the Go binary at path links a function that
// sends READY=1. In ReadyAuto mode such a child is waited for (up to
// autoSenderWait) before other rules, so a slow start gets no traffic
// early. A binary that links the module but not the sender, as Prometheus
// node_exporter links only go-systemd's activation package, does not
// count. It is false for anything that is not a Go binary with build info.
func sendsReady(path string) bool {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	mods := []string{bi.Main.Path}
	for _, d := range bi.Deps {
		mods = append(mods, d.Path)
	}
	var funcs []string
	for _, m := range mods {
		for mod, fs := range senders {
			if m == mod || strings.HasPrefix(m, mod+"/") {
				funcs = append(funcs, fs...)
			}
		}
	}
	return len(funcs) > 0 && fileContains(path, funcs)
}

// fileContains reports whether the file at path holds one of the strings
// subs, reading it in chunks.
func fileContains(path string, subs []string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	keep := 0
	for _, s := range subs {
		keep = max(keep, len(s)-1)
	}
	buf := make([]byte, 1<<20)
	n := 0 // bytes in buf carried over from the last chunk
	for {
		m, err := f.Read(buf[n:])
		n += m
		for _, s := range subs {
			if bytes.Contains(buf[:n], []byte(s)) {
				return true
			}
		}
		if err == io.EOF || (err != nil && m == 0) {
			return false
		}
		if n > keep {
			n = copy(buf, buf[n-keep:n])
		}
	}
}
