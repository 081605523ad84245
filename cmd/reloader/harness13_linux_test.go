package main

import (
	"bufio"
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

// Helpers of the issue 13 steering tests, kept apart from the shared
// harness.

// buildApp13 builds testdata/servers/NAME.go.txt, a program that imports
// at most this module's standard-library-only packages (listenfd), and
// returns the binary.
func buildApp13(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "servers", name+".go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/app\n\ngo 1.26.0\n\n"+
		"require github.com/reloader-dev/reloader v0.0.0\n\nreplace github.com/reloader-dev/reloader => "+repoRoot(t)+"\n")
	write(t, filepath.Join(dir, "main.go"), string(src))
	bin := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-mod=mod", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// proc13 is a running program whose output lines are collected; a
// self-upgraded reloader inherits its output and keeps writing there.
type proc13 struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{}
	done  chan struct{} // the process exited
	eof   chan struct{} // every writer of its output is gone
}

func start13(t *testing.T, env []string, argv ...string) *proc13 {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &proc13{t: t, cmd: cmd, added: make(chan struct{}, 1), done: make(chan struct{}), eof: make(chan struct{})}
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
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output:\n%s", p.output())
		}
	})
	return p
}

func (p *proc13) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *proc13) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// wait waits for a line from index from on that matches re; it returns
// the match and the index after the line.
func (p *proc13) wait(from int, re *regexp.Regexp) ([]string, int) {
	p.t.Helper()
	deadline := time.NewTimer(90 * time.Second)
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
			if p.mark() == from {
				p.t.Fatalf("output ended while waiting for %q", re)
			}
		case <-deadline.C:
			p.t.Fatalf("no line matching %q", re)
		}
	}
}

// exited waits for the process itself to exit.
func (p *proc13) exited() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(90 * time.Second):
		p.t.Fatal("the process did not exit")
	}
}

var (
	ready13   = regexp.MustCompile(`event=child_ready pid=(\d+)`)
	serving13 = regexp.MustCompile(`event=serve_ready pid=(\d+)`)
)

// load13 runs clients that open a new connection for every request (no
// keep-alive), so each request after an event meets the sockets as they
// are then. A request that hangs fails after 5s.
type load13 struct {
	mu     sync.Mutex
	ok     int
	failed []string
	pids   map[string]int
	more   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startLoad13(url string, clients int) *load13 {
	l := &load13{pids: map[string]int{}, more: make(chan struct{}, 1), stop: make(chan struct{})}
	for i := 0; i < clients; i++ {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				body, err := get13(c, url)
				l.mu.Lock()
				if err != nil {
					l.failed = append(l.failed, err.Error())
				} else {
					l.ok++
					if _, pid, ok := strings.Cut(strings.TrimSpace(body), "pid="); ok {
						l.pids[pid]++
					}
				}
				l.mu.Unlock()
				select {
				case l.more <- struct{}{}:
				default:
				}
				if err != nil {
					// A refused connection fails at once: do not spin.
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func get13(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

// served waits until n more requests succeeded, and at least one of them
// was answered by pid (when pid is not 0). Failed requests do not count.
func (l *load13) served(t *testing.T, n, pid int) {
	t.Helper()
	l.mu.Lock()
	goal, before := l.ok+n, l.pids[fmt.Sprint(pid)]
	l.mu.Unlock()
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		done := l.ok >= goal && (pid == 0 || l.pids[fmt.Sprint(pid)] > before)
		ok, failed := l.ok, len(l.failed)
		l.mu.Unlock()
		if done {
			return
		}
		select {
		case <-l.more:
		case <-deadline.C:
			t.Fatalf("only %d of %d more requests succeeded (pid %d); %d failed", ok-(goal-n), n, pid, failed)
		}
	}
}

// finish stops the clients and fails t for every failed request.
func (l *load13) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("requests: %d ok, %d failed, by pid %v", l.ok, len(l.failed), l.pids)
	if len(l.failed) > 0 {
		ex := l.failed
		if len(ex) > 5 {
			ex = ex[:5]
		}
		t.Errorf("%d requests failed, e.g. %q", len(l.failed), ex)
	}
}

// freePort13 returns a loopback address nothing listens on now.
func freePort13(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func signal13(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}
