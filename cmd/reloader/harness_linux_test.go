package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
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

// newApp writes a module in a temp dir whose main.go is
// testdata/servers/NAME.go.txt, or examples/NAME/main.go of this checkout.
// It may import listenfd (replaced by this checkout) and go-systemd.
func newApp(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "servers", name+".go.txt"))
	if errors.Is(err, os.ErrNotExist) {
		src, err = os.ReadFile(filepath.Join(repoRoot(t), "examples", name, "main.go"))
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := repoRoot(t)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := fmt.Sprintf(`module example.com/app

go 1.26.0

require (
	github.com/reloader-dev/reloader v0.0.0
	github.com/coreos/go-systemd/v22 v22.7.0
)

replace github.com/reloader-dev/reloader => %s
`, root)
	write(t, filepath.Join(dir, "go.mod"), gomod)
	write(t, filepath.Join(dir, "go.sum"), string(sum))
	write(t, filepath.Join(dir, "main.go"), string(src))
	// Settle go.mod and go.sum before reloader watches them, and warm the
	// build cache.
	cmd := exec.Command("go", "build", "-mod=mod", "-o", os.DevNull, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return dir
}

// setVersion rewrites `const version = "..."` in dir/main.go.
func setVersion(t testing.TB, dir, v string) {
	t.Helper()
	p := filepath.Join(dir, "main.go")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`const version = "[^"]*"`)
	if !re.Match(b) {
		t.Fatalf("%s has no version const", p)
	}
	write(t, p, re.ReplaceAllString(string(b), `const version = "`+v+`"`))
}

// freePort returns a loopback address with a port nothing listens on now.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// reloaderProc is a running reloader binary whose log lines are collected.
type reloaderProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{} // receives after each appended line (buffered 1)
	done  chan struct{} // closed when the process has exited
	eof   chan struct{} // closed when every writer of its output is gone
}

// startReloader runs the reloader binary in dir with args.
func startReloader(t *testing.T, dir string, args ...string) *reloaderProc {
	t.Helper()
	return startReloaderAt(t, reloaderBin, dir, args...)
}

// startReloaderAt runs the reloader binary at path in dir with args.
func startReloaderAt(t *testing.T, path, dir string, args ...string) *reloaderProc {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	// An *os.File pipe, so Wait does not wait for readers: a self-upgraded
	// reloader inherits stdout and keeps writing after the first one exits.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &reloaderProc{t: t, cmd: cmd, added: make(chan struct{}, 1), done: make(chan struct{}), eof: make(chan struct{})}
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
			t.Logf("reloader output:\n%s", p.output())
		}
	})
	return p
}

func (p *reloaderProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine waits until a line from index `from` on matches re, and returns
// the match and the index after it. It fails the test after timeout.
func (p *reloaderProc) waitLine(from int, re *regexp.Regexp, timeout time.Duration) ([]string, int) {
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
			// Lines written just before the end were read; give up.
			p.mu.Lock()
			n := len(p.lines)
			p.mu.Unlock()
			if n == from {
				p.t.Fatalf("reloader exited while waiting for %q", re)
			}
		case <-deadline.C:
			p.t.Fatalf("no log line matching %q within %v", re, timeout)
		}
	}
}

func (p *reloaderProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// signal sends sig and waits for the process to exit, returning its code.
func (p *reloaderProc) stop(sig syscall.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatal("reloader did not exit within 30s of", sig)
	}
	return p.cmd.ProcessState.ExitCode()
}

var reReady = regexp.MustCompile(`msg="child ready" pid=(\d+) gen=(\d+)`)

// loadResult counts the outcome of every request by kind.
type loadResult struct {
	mu       sync.Mutex
	ok       int
	failures map[string]int
	examples []string
	versions map[string]int
}

func (r *loadResult) add(kind, body string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.ok++
		if v, _, ok := strings.Cut(strings.TrimPrefix(body, "version="), " "); ok {
			r.versions[v]++
		}
		return
	}
	r.failures[kind]++
	if len(r.examples) < 5 {
		r.examples = append(r.examples, err.Error())
	}
}

func (r *loadResult) failed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.failures {
		n += c
	}
	return n
}

func (r *loadResult) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("ok=%d failures=%v versions=%v examples=%q", r.ok, r.failures, r.versions, r.examples)
}

// classify names a request error: refused, reset, eof, timeout or other.
func classify(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timeout"
	}
	return "other"
}

// load runs clients against url until stop is closed: half open a new
// connection per request, half keep one alive. Requests are paced so the
// total stays bounded.
type load struct {
	res  *loadResult
	stop chan struct{}
	wg   sync.WaitGroup
	// latest holds the body of the most recent successful response.
	latest chan string
}

func startLoad(url string, clients int) *load {
	l := &load{
		res:    &loadResult{failures: map[string]int{}, versions: map[string]int{}},
		stop:   make(chan struct{}),
		latest: make(chan string, 64),
	}
	for i := 0; i < clients; i++ {
		tr := &http.Transport{DisableKeepAlives: i%2 == 0, MaxIdleConnsPerHost: 1}
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer tr.CloseIdleConnections()
			for n := 0; n < 200000; n++ {
				select {
				case <-l.stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				resp, err := client.Get(url)
				body := ""
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					body = string(b)
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				l.res.add(classify(err), body, err)
				if err == nil {
					select {
					case l.latest <- body:
					default:
					}
				}
			}
		}()
	}
	return l
}

func (l *load) finish() *loadResult {
	close(l.stop)
	l.wg.Wait()
	return l.res
}

// waitServed waits until the load sees a response containing want.
func (l *load) waitServed(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case body := <-l.latest:
			if strings.Contains(body, want) {
				return
			}
		case <-deadline.C:
			t.Fatalf("no response with %q within %v; %v", want, timeout, l.res)
		}
	}
}

// get makes one request on a fresh connection.
func get(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, resp.Body)
	return buf.String(), err
}

// waitPid makes requests until one is answered by pid. The old child may
// still answer for a moment after the swap, since both share the socket.
func waitPid(t *testing.T, url string, pid int) {
	t.Helper()
	want := fmt.Sprintf("pid=%d\n", pid)
	var body string
	var err error
	for i := 0; i < 2000; i++ {
		if body, err = get(url); err == nil && strings.HasSuffix(body, want) {
			return
		}
	}
	t.Fatalf("pid %d never answered; last response %q %v", pid, body, err)
}
