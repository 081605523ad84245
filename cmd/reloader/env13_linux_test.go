package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envApp binds $PORT with a plain http.ListenAndServe and answers with the
// variables it was given.
const envApp = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "APP_ENV=%s PORT=%s\n", os.Getenv("APP_ENV"), os.Getenv("PORT"))
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, "envapp:", err)
		os.Exit(1)
	}
}
`

// buildApp13 builds a standard-library-only app from src and returns the
// binary's path.
func buildSrc13(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26.0\n")
	write(t, filepath.Join(dir, "main.go"), src)
	bin := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lines13 collects a process's output lines and lets a test wait for one.
type lines13 struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
	eof   chan struct{}
}

func collect13(r io.Reader) *lines13 {
	l := &lines13{more: make(chan struct{}, 1), eof: make(chan struct{})}
	go func() {
		defer close(l.eof)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			select {
			case l.more <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *lines13) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// wait returns the first line that matches want, or fails the test at the
// first line that matches fail, at EOF, or after timeout.
func (l *lines13) wait(t *testing.T, want, fail *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for i := 0; ; {
		l.mu.Lock()
		for ; i < len(l.lines); i++ {
			switch line := l.lines[i]; {
			case want.MatchString(line):
				l.mu.Unlock()
				return line
			case fail != nil && fail.MatchString(line):
				l.mu.Unlock()
				t.Fatalf("waiting for %q: %s", want, line)
			}
		}
		l.mu.Unlock()
		select {
		case <-l.more:
		case <-l.eof:
			l.mu.Lock()
			n := len(l.lines)
			l.mu.Unlock()
			if n == i {
				t.Fatalf("output ended while waiting for %q", want)
			}
		case <-deadline:
			t.Fatalf("no line matching %q within %v", want, timeout)
		}
	}
}

// startReloader13 runs the reloader binary with args and env (nil: the
// test's own), and stops it with SIGINT at cleanup.
func startReloader13(t *testing.T, env []string, args ...string) *lines13 {
	t.Helper()
	cmd := exec.Command(reloaderBin, args...)
	cmd.Env = env
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	l := collect13(pr)
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		<-l.eof
		pr.Close()
		if t.Failed() {
			t.Logf("reloader output:\n%s", l)
		}
	})
	return l
}

// envWith returns the test's environment with kv set, once each.
func envWith(kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		if k != "PORT" && k != "APP_ENV" {
			env = append(env, e)
		}
	}
	return append(env, kv...)
}

var (
	reChildReady13 = regexp.MustCompile(`event=child_ready`)
	reStartFail13  = regexp.MustCompile(`event=(start_failed|crashed)`)
)

// Issue 13, finding 7: a variable already in reloader's environment must
// not beat the value reloader sets for the app. With PORT set to the
// public port in the shell, --proxy still gives the app its private port,
// and --env APP_ENV=dev beats APP_ENV=prod from the shell.
func TestEnvReloaderValuesWinOverShell(t *testing.T) {
	t.Parallel()
	app := buildSrc13(t, envApp)
	addr := freePort(t)
	_, public, _ := net.SplitHostPort(addr)
	out := startReloader13(t, envWith("PORT="+public, "APP_ENV=prod"),
		"--proxy", "-l", addr, "--watch=false", "--env", "APP_ENV=dev", "--", app)
	out.wait(t, reChildReady13, reStartFail13, 60*time.Second)

	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSpace(string(b))
	if !strings.HasPrefix(body, "APP_ENV=dev ") {
		t.Errorf("the app sees %q, want APP_ENV=dev (run.env beats the shell)", body)
	}
	if strings.HasSuffix(body, "PORT="+public) || !regexp.MustCompile(`PORT=\d+$`).MatchString(body) {
		t.Errorf("the app sees %q, want its private port, not the public %s", body, public)
	}
}
