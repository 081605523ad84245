package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// colorConfig has the screen cleared before each build and a pre_build
// hook that prints, so a hook prefix shows.
const colorConfig = `
[hooks]
pre_build = "echo generating"
[log]
clear = true
`

// startColorSession starts reloader in a new "stock" app with colorConfig,
// its output on a pseudo-terminal when tty is set (a pipe otherwise),
// with env added, and waits for the first child.
func startColorSession(t *testing.T, tty bool, env ...string) *session {
	t.Helper()
	s := newSession(t, writeApp(t, "stock"))
	write(t, filepath.Join(s.dir, DefaultConfigFile), fmt.Sprintf("listen = [%q]\n%s", s.addr, colorConfig))
	cmd := exec.Command(reloaderBin, cheapBuild(t, "stock")...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), append([]string{"NO_COLOR="}, env...)...)
	r, w, err := os.Pipe()
	if tty {
		r, w, err = pty.Open()
	}
	if err != nil {
		t.Fatal(err)
	}
	s.r = startReloaderOn(t, cmd, r, w)
	s.waitReady()
	return s
}

// rawOutput is everything reloader wrote, escapes and all.
func (p *reloaderProc) rawOutput() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.raw, "\n")
}

// clearScreen is what log.clear writes before each build's output.
const clearScreen = "\x1b[H\x1b[2J\x1b[3J"

func TestColorOnATerminalOnly(t *testing.T) {
	t.Parallel()
	const clear = clearScreen
	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		s := startColorSession(t, true)
		raw := s.r.rawOutput()
		for what, want := range map[string]string{
			"the screen cleared before the build": clear,
			"the hook's prefix in magenta":        "\x1b[35m[pre_build]\x1b[0m generating",
			"the child_ready event in green":      "event=\x1b[22mchild_ready\x1b[0m",
			"the level in colour":                 "\x1b[92mINF\x1b[0m",
		} {
			if !strings.Contains(raw, want) {
				t.Errorf("no %s (%q) on the terminal", what, want)
			}
		}
		s.shutdown()
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		t.Parallel()
		s := startColorSession(t, true, "NO_COLOR=1")
		raw := s.r.rawOutput()
		if !strings.Contains(raw, clear) {
			t.Errorf("NO_COLOR kept the screen from being cleared: it is about colour only")
		}
		if strings.Contains(strings.ReplaceAll(raw, clear, ""), "\x1b") {
			t.Errorf("colour escapes with NO_COLOR=1:\n%q", raw)
		}
		checkPlainLines(t, s.r)
		s.shutdown()
	})
	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		s := startColorSession(t, false)
		if raw := s.r.rawOutput(); strings.Contains(raw, "\x1b") {
			t.Errorf("escapes on a pipe:\n%q", raw)
		}
		checkPlainLines(t, s.r)
		s.shutdown()
	})
}

// checkPlainLines checks that reloader's own lines are slog's text format,
// as scripts read them, and the hook's line its plain prefix.
func checkPlainLines(t *testing.T, p *reloaderProc) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	events, hook := 0, false
	for _, line := range p.raw {
		line = strings.TrimPrefix(line, clearScreen)
		if strings.Contains(line, " event=") {
			events++
			if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=") {
				t.Errorf("not slog's text format: %q", line)
			}
		}
		hook = hook || line == "[pre_build] generating"
	}
	if events == 0 || !hook {
		t.Errorf("%d event lines, hook line %v", events, hook)
	}
}
