package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/logline"
)

// newApp writes a module in a temp dir whose main.go is
// testdata/servers/NAME.go.txt, or examples/NAME/main.go of this checkout.
// It may import listenfd (replaced by this checkout) and go-systemd.
// go.mod and go.sum are settled and the build cache is warm.
func newApp(t *testing.T, name string) string {
	t.Helper()
	dir := writeApp(t, name)
	buildApp(t, dir, os.DevNull)
	return dir
}

// buildServer returns the path of a binary of testdata/servers/NAME (or
// examples/NAME), built once per test binary (serverBins). Tests share it:
// one that changes the file works on a copy.
func buildServer(t *testing.T, name string) string {
	t.Helper()
	return serverBins.get(t, name)
}

// buildApp runs go build -o out in dir, settling go.mod and go.sum.
func buildApp(t *testing.T, dir, out string) {
	t.Helper()
	if b, err := goBuild(dir, out).CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

// goBuild is the command that builds the module in dir into out.
func goBuild(dir, out string) *exec.Cmd {
	cmd := exec.Command("go", "build", "-mod=mod", "-o", out, ".")
	cmd.Dir = dir
	return cmd
}

// writeApp writes the module of newApp without building it.
func writeApp(t *testing.T, name string) string {
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

// socketActivate returns the path of systemd-socket-activate, or skips
// the test where it is not installed (fails it on CI, which installs it).
func socketActivate(t *testing.T) string {
	t.Helper()
	ssa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-socket-activate is missing; .ci/run installs it")
		}
		t.Skip("systemd-socket-activate not installed (Debian package systemd)")
	}
	return ssa
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
// reANSI is an ANSI CSI escape: colours and screen clearing.
var reANSI = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

type reloaderProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	raw   []string      // lines as written, escapes and all
	more  chan struct{} // closed and replaced after each appended line
	done  chan struct{} // closed when the process has exited
	eof   chan struct{} // closed when every writer of its output is gone
}

// startReloader runs the reloader binary in dir with args.
func startReloader(t *testing.T, dir string, args ...string) *reloaderProc {
	t.Helper()
	return startReloaderAt(t, reloaderBin, dir, nil, args...)
}

// startReloaderAt runs the program at path in dir with args, with env added
// to this process's environment (a later entry wins over an earlier one of
// the same key). The program is the reloader binary, a copy of it
// (copyReloader), or a wrapper that runs it (unshare,
// systemd-socket-activate).
func startReloaderAt(t *testing.T, path, dir string, env []string, args ...string) *reloaderProc {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// An *os.File pipe, so Wait does not wait for readers: a self-upgraded
	// reloader inherits stdout and keeps writing after the first one exits.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return startReloaderOn(t, cmd, pr, pw)
}

// startReloaderOn starts cmd with its stdout and stderr on pw, which it
// closes here once cmd has started, and reads them back from pr: a pipe's
// ends, or a pseudo-terminal's (a line's trailing \r is dropped). lines
// holds them with ANSI colour and screen escapes removed, raw as written.
func startReloaderOn(t *testing.T, cmd *exec.Cmd, pr, pw *os.File) *reloaderProc {
	t.Helper()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &reloaderProc{t: t, cmd: cmd, more: make(chan struct{}), done: make(chan struct{}), eof: make(chan struct{})}
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
			raw := strings.TrimSuffix(sc.Text(), "\r")
			p.mu.Lock()
			p.raw = append(p.raw, raw)
			p.lines = append(p.lines, reANSI.ReplaceAllString(raw, ""))
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
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

// errExited is returned by next when the output ended first.
var errExited = errors.New("reloader exited")

// next waits until a line from index from on satisfies match, and returns
// it and the index after it. It returns an error after timeout, when quit
// is closed (nil: never), or when the output ends first. Several
// goroutines may wait at once.
func (p *reloaderProc) next(from int, match func(string) bool, quit <-chan struct{}, timeout time.Duration) (string, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if line := p.lines[i]; match(line) {
				p.mu.Unlock()
				return line, i + 1, nil
			}
		}
		from = len(p.lines)
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-p.eof:
			// Lines written just before the end were read; give up.
			if p.mark() == from {
				return "", from, errExited
			}
		case <-quit:
			return "", from, errors.New("stopped")
		case <-deadline.C:
			return "", from, fmt.Errorf("timeout after %v", timeout)
		}
	}
}

// waitFor waits until a line from index from on satisfies match, and
// returns it and the index after it. It fails the test after timeout.
func (p *reloaderProc) waitFor(from int, what string, match func(string) bool, timeout time.Duration) (string, int) {
	p.t.Helper()
	line, next, err := p.next(from, match, nil, timeout)
	switch {
	case errors.Is(err, errExited):
		p.t.Fatalf("reloader exited while waiting for %s", what)
	case err != nil:
		p.t.Fatalf("no log line with %s within %v", what, timeout)
	}
	return line, next
}

// waitLine waits until a line from index from on matches re (app output,
// a hook's or the compiler's), and returns the match and the index after
// it.
func (p *reloaderProc) waitLine(from int, re *regexp.Regexp, timeout time.Duration) ([]string, int) {
	p.t.Helper()
	line, next := p.waitFor(from, fmt.Sprintf("%q", re), re.MatchString, timeout)
	return re.FindStringSubmatch(line), next
}

// buildWait bounds a wait that spans a build of the app. Builds run niced
// (build.nice), so on 2 cores under the suite's parallel load tests a build
// that takes 2s alone has taken over a minute; the bound only matters when
// the test fails.
const buildWait = 4 * time.Minute

// waitEvent waits until a line from index from on has event=name and every
// attribute in want ("key=value"), and returns its attributes and the
// index after it.
func (p *reloaderProc) waitEvent(from int, name string, timeout time.Duration, want ...string) (map[string]string, int) {
	p.t.Helper()
	line, next := p.waitFor(from, "event="+name+" "+strings.Join(want, " "), func(line string) bool {
		return logline.Is(line, name, want...)
	}, timeout)
	return logline.Attrs(line), next
}

// eventPid is waitEvent for an event with a pid attribute, which it
// returns with the index after the line.
func (p *reloaderProc) eventPid(from int, name string, timeout time.Duration, want ...string) (int, int) {
	p.t.Helper()
	a, next := p.waitEvent(from, name, timeout, want...)
	pid, err := strconv.Atoi(a["pid"])
	if err != nil {
		p.t.Fatalf("event=%s without a pid: %v", name, a)
	}
	return pid, next
}

// events returns the attributes of every line from index from on that has
// event=name.
func (p *reloaderProc) events(from int, name string) []map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]string
	for _, line := range p.lines[min(from, len(p.lines)):] {
		if logline.Is(line, name) {
			out = append(out, logline.Attrs(line))
		}
	}
	return out
}

func (p *reloaderProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// stop sends sig and waits for the process to exit, returning its code.
func (p *reloaderProc) stop(sig syscall.Signal) int {
	p.t.Helper()
	p.cmd.Process.Signal(sig)
	return p.exited(60*time.Second, fmt.Sprint("of ", sig))
}

// exited waits for the process itself (not a reloader it upgraded to) to
// exit, and returns its code; after is what it should exit after.
func (p *reloaderProc) exited(timeout time.Duration, after string) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("reloader did not exit within %v %s", timeout, after)
	}
	return p.cmd.ProcessState.ExitCode()
}

// sendSignal sends sig to pid, which need not be the process started (a
// reloader it upgraded to, or one that a wrapper runs).
func sendSignal(t testing.TB, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%v %d: %v", sig, pid, err)
	}
}

// copyReloader copies the reloader binary into dir and returns the copy's
// path, for a test that replaces or removes it, or a self-upgrade (which
// re-executes the path reloader was started as).
func copyReloader(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile(reloaderBin)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "reloader")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
