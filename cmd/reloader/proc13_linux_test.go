package main

import (
	"bufio"
	"io"
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

// Helpers of the issue 13 tests (findings 12, 14, 15). They are kept apart
// from the shared harness on purpose.

// app13Src is a standard-library server: it serves the socket at fd 3,
// answers "pid=PID orphan=PID", and on SIGTERM stops at once. With
// APP13_ORPHAN set it first runs that shell command in the background of a
// shell that exits at once, so the command is orphaned (with setsid, it is
// a daemonising grandchild), and reports its pid as orphan=.
const app13Src = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	orphan := ""
	if c := os.Getenv("APP13_ORPHAN"); c != "" {
		out, err := exec.Command("sh", "-c", c+" </dev/null >/dev/null 2>&1 & echo $!").Output()
		if err != nil {
			fmt.Fprintln(os.Stderr, "app13:", err)
			os.Exit(1)
		}
		orphan = strings.TrimSpace(string(out))
	}
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "app13:", err)
		os.Exit(1)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "pid=%d orphan=%s\n", os.Getpid(), orphan)
	}))
}
`

// buildCmdApp13 builds app13Src and returns the binary.
func buildCmdApp13(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app13\n\ngo 1.26.0\n")
	write(t, filepath.Join(dir, "main.go"), app13Src)
	bin := filepath.Join(dir, "app13")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build app13: %v\n%s", err, out)
	}
	return bin
}

// cproc13 is a running command whose output lines are collected.
type cproc13 struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{} // receives after each line (buffered 1)
	eof   chan struct{} // closed when every writer of the output is gone
	done  chan struct{} // closed when the process has exited
}

// cstart13 starts argv in dir with stdout and stderr collected.
func cstart13(t *testing.T, dir string, argv ...string) *cproc13 {
	t.Helper()
	return cstart13Env(t, dir, nil, argv...)
}

// cstart13Env is cstart13 with env added to the environment.
func cstart13Env(t *testing.T, dir string, env []string, argv ...string) *cproc13 {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &cproc13{t: t, cmd: cmd, added: make(chan struct{}, 1), eof: make(chan struct{}), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	go func() {
		defer close(p.eof)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", argv[0], p.output())
		}
	})
	return p
}

func (p *cproc13) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// wait waits for a line from index from on that matches re, and returns
// its submatches and the index after it. It fails the test if the process
// exits or timeout passes first.
func (p *cproc13) wait(from int, re *regexp.Regexp, timeout time.Duration) ([]string, int) {
	p.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if m := re.FindStringSubmatch(p.lines[i]); m != nil {
				p.mu.Unlock()
				return m, i + 1
			}
		}
		from = len(p.lines)
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-p.eof:
			p.mu.Lock()
			n := len(p.lines)
			p.mu.Unlock()
			if n == from {
				p.t.Fatalf("output ended (exit: %v) while waiting for %q", p.exitState(), re)
			}
		case <-deadline.C:
			p.t.Fatalf("no line matching %q within %v", re, timeout)
		}
	}
}

func (p *cproc13) exitState() string {
	select {
	case <-p.done:
		return p.cmd.ProcessState.String()
	default:
		return "still running"
	}
}

// stop sends sig and waits for the exit.
func (p *cproc13) stop(sig syscall.Signal) *os.ProcessState {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatalf("no exit within 60s of %v", sig)
	}
	return p.cmd.ProcessState
}

// cget13 makes one request on a new connection.
func cget13(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

var (
	reChild13 = regexp.MustCompile(`msg="child ready" (?:\S+ )*?pid=(\d+)`)
	reServe13 = regexp.MustCompile(`msg="serve: ready"`)
)
