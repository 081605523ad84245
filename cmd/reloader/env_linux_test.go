package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/logline"
)

// Issue 13, finding 7: a variable already in reloader's environment must
// not beat the value reloader sets for the app. With PORT set to the
// public port in the shell, --proxy still gives the app its private port,
// and --env APP_ENV=dev beats APP_ENV=prod from the shell.
func TestEnvReloaderValuesWinOverShell(t *testing.T) {
	t.Parallel()
	app := buildServer(t, "envapp")
	addr := freePort(t)
	_, public, _ := net.SplitHostPort(addr)
	// The shell's values; for a key already in this process's environment
	// the later entry wins.
	shell := []string{"PORT=" + public, "APP_ENV=prod"}
	r := startReloaderAt(t, reloaderBin, t.TempDir(), shell,
		"--proxy", "-l", addr, "--watch=false", "--env", "APP_ENV=dev", "--", app)
	line, _ := r.waitFor(0, "event=child_ready (or start_failed, crashed)", func(line string) bool {
		return logline.Is(line, "child_ready") || logline.Is(line, "start_failed") || logline.Is(line, "crashed")
	}, 60*time.Second)
	if !logline.Is(line, "child_ready") {
		t.Fatalf("waiting for event=child_ready: %s", line)
	}

	b, err := get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSpace(b)
	if !strings.HasPrefix(body, "APP_ENV=dev ") {
		t.Errorf("the app sees %q, want APP_ENV=dev (run.env beats the shell)", body)
	}
	if strings.HasSuffix(body, "PORT="+public) || !regexp.MustCompile(`PORT=\d+$`).MatchString(body) {
		t.Errorf("the app sees %q, want its private port, not the public %s", body, public)
	}
}
