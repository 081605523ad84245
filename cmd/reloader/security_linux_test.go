package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// handoffVars are the socket-activation variables meant for the child alone.
var handoffVars = []string{"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET="}

// leaked returns the hand-off variables set in env, one KEY=VALUE a line.
func leaked(env string) []string {
	var out []string
	for _, line := range strings.Split(env, "\n") {
		for _, v := range handoffVars {
			if strings.HasPrefix(line, v) {
				out = append(out, line)
			}
		}
	}
	return out
}

// LISTEN_* and NOTIFY_SOCKET reach the child and nothing else: not a
// process the child starts, not a build hook, not a post_swap hook.
func TestHandoffVariablesDoNotLeak(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pre, post := filepath.Join(dir, "pre_build.env"), filepath.Join(dir, "post_swap.env")
	s := startCheapSession(t, "listenfd", "--pre-build", "env > "+pre, "--post-swap", "env > "+post)
	s.r.waitEvent(0, "hook_done", 30*time.Second)

	body, err := get(s.url + "env")
	if err != nil || !strings.Contains(body, "PATH=") {
		t.Fatalf("GET /env = %q, %v", body, err)
	}
	if l := leaked(body); l != nil {
		t.Errorf("a process the child started sees %v", l)
	}
	for _, f := range []string{pre, post} {
		b, err := os.ReadFile(f)
		if err != nil || !strings.Contains(string(b), "PATH=") {
			t.Fatalf("%s: %q, %v", filepath.Base(f), b, err)
		}
		if l := leaked(string(b)); l != nil {
			t.Errorf("%s hook sees %v", strings.TrimSuffix(filepath.Base(f), ".env"), l)
		}
	}
	// The child itself was handed its socket: it answers on reloader's
	// address, from the pid reloader started.
	waitPid(t, s.url, s.pids[0])
	s.shutdown()
}

// A command written as a list runs as given: shell syntax in it arrives as
// literal arguments. Only a string runs in /bin/sh, because the user wrote
// one.
func TestListCommandsRunWithoutAShell(t *testing.T) {
	t.Parallel()
	dir := writeApp(t, "stock")
	write(t, filepath.Join(dir, ".reloader.toml"), `[hooks]
pre_build = ["printf", "argv=%s|%s\\n", "$HOME;echo injected", "`+"`id`"+`"]
post_swap = "echo shell=$0"
`)
	addr := freePort(t)
	r := startReloader(t, dir, append([]string{"-l", addr}, cheapBuild(t, "stock")...)...)
	r.waitLine(0, regexp.MustCompile(`^\[pre_build\] argv=\$HOME;echo injected\|`+"`id`"+`$`), buildWait)
	r.waitLine(0, regexp.MustCompile(`^\[post_swap\] shell=/bin/sh$`), 30*time.Second)
	for _, line := range strings.Split(r.output(), "\n") {
		if strings.HasSuffix(line, "] injected") || strings.Contains(line, "uid=") {
			t.Errorf("a list hook went through a shell: %q", line)
		}
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit code %d after SIGINT", code)
	}
}

// --unix-mode reaches the socket file, and the app serves on it.
func TestUnixModeFlagEndToEnd(t *testing.T) {
	t.Parallel()
	bin := buildServer(t, "stock")
	dir := t.TempDir()
	sock := filepath.Join(t.TempDir(), "app.sock")
	r := startReloader(t, dir, "-l", "unix:"+sock, "--unix-mode", "0600", "--watch=false", "--ready-delay", "50ms", "--", bin)
	r.waitEvent(0, "child_ready", buildWait)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket file %s: %v, %v; want mode 0600", sock, fi.Mode().Perm(), err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := client.Get("http://app/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "version=v1") {
		t.Errorf("GET over %s = %q", sock, body)
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit code %d after SIGINT", code)
	}
}
