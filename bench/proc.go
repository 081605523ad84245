//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// logLine is one line of a process's output and when the bench read it.
type logLine struct {
	at   time.Time
	text string
}

// proc is a running tool (reloader or air) whose output lines are collected
// with the time they arrived, so a scenario can wait for a line and measure
// up to it.
type proc struct {
	cmd     *exec.Cmd
	started time.Time
	mu      sync.Mutex
	lines   []logLine
	added   chan struct{} // receives after each appended line (buffered 1)
	done    chan struct{} // closed when the process has exited and its output is read
}

// startProc runs argv in dir with extra environment, in its own process
// group, collecting stdout and stderr.
func startProc(dir string, extraEnv []string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &proc{cmd: cmd, added: make(chan struct{}, 1), done: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, logLine{time.Now(), sc.Text()})
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		<-read
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// mark returns the index of the next line.
func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// count returns how many lines from index from on match re.
func (p *proc) count(from int, re *regexp.Regexp) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines[min(from, len(p.lines)):] {
		if re.MatchString(l.text) {
			n++
		}
	}
	return n
}

// tail returns the last n lines, for error messages.
func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines[max(0, len(p.lines)-n):] {
		b.WriteString("\n\t" + l.text)
	}
	return b.String()
}

// waitLine waits until a line from index from on matches re. It returns the
// submatches, the line's arrival time and the index after it.
func (p *proc) waitLine(ctx context.Context, from int, re *regexp.Regexp, timeout time.Duration) ([]string, time.Time, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if m := re.FindStringSubmatch(p.lines[i].text); m != nil {
				at := p.lines[i].at
				p.mu.Unlock()
				return m, at, i + 1, nil
			}
		}
		from = len(p.lines)
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-p.done:
			if p.mark() == from {
				return nil, time.Time{}, from, fmt.Errorf("%s exited while waiting for %q:%s", filepath.Base(p.cmd.Path), re, p.tail(15))
			}
		case <-deadline.C:
			return nil, time.Time{}, from, fmt.Errorf("no line matching %q within %v:%s", re, timeout, p.tail(15))
		case <-ctx.Done():
			return nil, time.Time{}, from, ctx.Err()
		}
	}
}

// stop sends sig and waits up to timeout for the process to exit, then
// SIGKILLs its process group. It reports whether it exited on the signal.
func (p *proc) stop(sig syscall.Signal, timeout time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return true
	case <-time.After(timeout):
	}
	syscall.Kill(-p.pid(), syscall.SIGKILL)
	<-p.done
	return false
}

// procStatus reads a kB or count field of /proc/PID/status.
func procStatus(pid int, field string) int64 {
	return procField(fmt.Sprintf("/proc/%d/status", pid), field)
}

// procField reads the first number of "field:" in a /proc file.
func procField(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return -1
}

// procFDs counts the open fds of pid.
func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const clockTick = 100

// procCPU returns the user plus system CPU time pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; fields resume after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// strays returns the pids of processes whose executable or working
// directory lies under dir.
func strays(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		for _, link := range []string{"exe", "cwd"} {
			t, err := os.Readlink(fmt.Sprintf("/proc/%d/%s", pid, link))
			if err == nil && strings.HasPrefix(t, dir+string(filepath.Separator)) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// killStrays SIGKILLs every process that strays finds under dir, and
// returns how many there were.
func killStrays(dir string) int {
	pids := strays(dir)
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return len(pids)
}

// portHeld reports whether something still listens on addr.
func portHeld(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return true
	}
	ln.Close()
	return false
}

// freePort returns a loopback address nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
