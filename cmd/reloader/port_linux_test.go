package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/portdoctor"
)

// portHelper is a foreign process holding a socket.
type portHelper struct {
	pid   int
	addr  string
	stdin io.WriteCloser
	done  chan struct{}
}

// startPortHelper re-executes the test binary as a helper in its own
// process group and waits until it holds its socket.
func startPortHelper(t *testing.T, mode string) *portHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "port-helper-"+mode)
	cmd.Env = append(os.Environ(), portHelperEnv+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &portHelper{pid: cmd.Process.Pid, stdin: stdin, done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() {
		cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-h.done
		}
	})
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("helper %s: %q %v", mode, line, err)
	}
	h.addr = strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	return h
}

// runPort runs `reloader port args...` in process and returns the exit
// code and output.
func runPort(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := runWithIO(context.Background(), append([]string{"port"}, args...), ioStreams{Out: &out, Err: &out})
	return code, out.String()
}

func TestPortForeignHolder(t *testing.T) {
	h := startPortHelper(t, "tcp")
	pid := strconv.Itoa(h.pid)
	want := h.addr + " is in use by pid " + pid + " ("

	// portRun directly.
	var out bytes.Buffer
	network, addr, err := portdoctor.ParseTarget(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	err = portRun(context.Background(), &PortOptions{IO: ioStreams{Out: &out, Err: &out}, Network: network, Addr: addr})
	var ce *exitCodeError
	if !errors.As(err, &ce) || ce.code != exitPortInUse {
		t.Fatalf("portRun: %v, want exit code %d", err, exitPortInUse)
	}
	if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), "port-helper-tcp") {
		t.Errorf("portRun output does not start with %q and name the command:\n%s", want, out.String())
	}

	// The command line, in process.
	code, text := runPort(t, h.addr)
	if code != exitPortInUse || !strings.Contains(text, "EADDRINUSE 98") || !strings.Contains(text, "kill "+pid) {
		t.Errorf("reloader port %s: exit %d\n%s", h.addr, code, text)
	}

	// The built binary.
	cmd := exec.Command(reloaderBin, "port", h.addr)
	b, err := cmd.Output()
	if cmd.ProcessState.ExitCode() != exitPortInUse || !strings.HasPrefix(string(b), want) {
		t.Errorf("%s port %s: %v\n%s", reloaderBin, h.addr, err, b)
	}
}

func TestStartupNamesHolder(t *testing.T) {
	h := startPortHelper(t, "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, reloaderBin, "-l", h.addr, "--", "sleep", "300")
	cmd.Dir = t.TempDir()
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("reloader with a held port: %v, want exit %d\n%s", err, exitError, b)
	}
	want := "reloader: supervisor: listen on LISTEN_FD_3=" + h.addr + ": portdoctor: " + h.addr + " is in use by pid " + strconv.Itoa(h.pid)
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), "port-helper-tcp") || !strings.Contains(string(b), "what to do:") {
		t.Errorf("startup error does not name the holder (%q) and print the diagnosis:\n%s", want, b)
	}
}

// makeTimeWait leaves a server-side TIME_WAIT socket on a loopback port
// that nothing listens on, and returns the address.
func makeTimeWait(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	client, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	server.Close() // the server closes first: its socket ends in TIME_WAIT
	if _, err := client.Read(make([]byte, 1)); err == nil {
		t.Fatal("client read data, want EOF")
	}
	client.Close()
	// The kernel moves the server's socket to TIME_WAIT when the client's
	// FIN arrives; poll the diagnosis until it sees it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := portdoctor.Diagnose(context.Background(), "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if r.TimeWait > 0 {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TIME_WAIT socket on %s:\n%s", addr, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPortTimeWaitOnly(t *testing.T) {
	addr := makeTimeWait(t)
	code, text := runPort(t, addr)
	if code != exitOK {
		t.Fatalf("reloader port %s: exit %d, want 0\n%s", addr, code, text)
	}
	m := regexp.MustCompile(`TIME_WAIT: (\d+)`).FindStringSubmatch(text)
	if m == nil || m[1] == "0" || !strings.Contains(text, "a bind with SO_REUSEADDR succeeds") {
		t.Errorf("diagnosis does not count TIME_WAIT or explain SO_REUSEADDR:\n%s", text)
	}
	// And reloader starts on that address.
	r := startReloader(t, t.TempDir(), "-l", addr, "--watch=false", "--ready", "delay", "--ready-delay", "10ms", "--", "sleep", "300")
	r.waitLine(0, regexp.MustCompile(`msg=listening .*addr=`+regexp.QuoteMeta(addr)), 60*time.Second)
	r.waitLine(0, reReady, 60*time.Second)
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("reloader exit %d after SIGINT", code)
	}
}

func TestPortUDPHolder(t *testing.T) {
	h := startPortHelper(t, "udp")
	code, text := runPort(t, "udp:"+h.addr)
	want := "udp " + h.addr + " is in use by pid " + strconv.Itoa(h.pid)
	if code != exitPortInUse || !strings.HasPrefix(text, want) {
		t.Errorf("reloader port udp:%s: exit %d, want %d and %q\n%s", h.addr, code, exitPortInUse, want, text)
	}
}

func TestPortNotAvailable(t *testing.T) {
	// 192.0.2.0/24 is TEST-NET-1; binding it sends nothing.
	code, text := runPort(t, "192.0.2.1:8080")
	if code == exitOK {
		t.Skip("192.0.2.1 is an address of this host")
	}
	if code != exitPortNotAvailable || !strings.Contains(text, "EADDRNOTAVAIL 99") {
		t.Errorf("exit %d, want %d\n%s", code, exitPortNotAvailable, text)
	}
}

func TestPortBadInput(t *testing.T) {
	for _, args := range [][]string{nil, {"a", "b"}, {"localhost"}, {":0"}, {"unix:/tmp/x.sock"}, {"1.2.3.4:http"}} {
		if code, text := runPort(t, args...); code != exitUsage {
			t.Errorf("reloader port %q: exit %d, want %d\n%s", args, code, exitUsage, text)
		}
	}
}

func TestPortKillStale(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	reg, err := portdoctor.OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	// owner stands in for an earlier reloader run that recorded h and died.
	owner := startPortHelper(t, "wait")
	h := startPortHelper(t, "tcp")
	cs := recordAs(t, reg, owner.pid, h.pid)
	owner.stdin.Close()
	<-owner.done
	if c := cs; c.OwnerRunning() || !c.Running() {
		t.Fatalf("record %+v: want a running child of a dead owner", c)
	}

	var out bytes.Buffer
	err = portRun(context.Background(), &PortOptions{IO: ioStreams{Out: &out, Err: &out}, Network: "tcp", Addr: h.addr, Dir: dir})
	if !strings.Contains(out.String(), "a child left behind by an earlier reloader run in this directory") {
		t.Errorf("diagnosis does not name the stale child (%v):\n%s", err, out.String())
	}
	out.Reset()
	err = portRun(context.Background(), &PortOptions{IO: ioStreams{Out: &out, Err: &out}, Network: "tcp", Addr: h.addr, Dir: dir, KillStale: true})
	if err != nil || !strings.Contains(out.String(), "ended pid "+strconv.Itoa(h.pid)) || !strings.Contains(out.String(), "is free") {
		t.Fatalf("port --kill-stale: %v\n%s", err, out.String())
	}
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("stale helper still runs")
	}
}

// recordAs records child as started by the reloader ownerPID, as
// Registry.Add does in that process.
func recordAs(t *testing.T, reg *portdoctor.Registry, ownerPID, child int) portdoctor.Child {
	t.Helper()
	c := portdoctor.Child{PID: child, Start: procStartTicks(t, child), Owner: ownerPID, OwnerStart: procStartTicks(t, ownerPID), Recorded: time.Now()}
	if err := reg.Record(c); err != nil {
		t.Fatal(err)
	}
	return c
}

// procStartTicks reads field 22 of /proc/<pid>/stat.
func procStartTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	n, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReloaderRecordsItsChildren(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	reg, err := portdoctor.OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := startReloader(t, dir, "-l", freePort(t), "--watch=false", "--ready", "delay", "--ready-delay", "10ms", "--", "sleep", "300")
	m, _ := r.waitLine(0, reReady, 60*time.Second)
	cs, err := reg.Children()
	if err != nil || len(cs) != 1 || strconv.Itoa(cs[0].PID) != m[1] || cs[0].Owner != r.cmd.Process.Pid || !cs[0].Running() || !cs[0].OwnerRunning() {
		t.Fatalf("registry after start = %+v, %v; want child pid %s of reloader %d", cs, err, m[1], r.cmd.Process.Pid)
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if cs, err := reg.Children(); err != nil || len(cs) != 0 {
		t.Errorf("registry after exit = %+v, %v; want empty", cs, err)
	}
}

func TestStartupRetriesUntilTheHolderLeaves(t *testing.T) {
	h := startPortHelper(t, "tcp")
	bin := buildServer(t, "stock")
	r := startReloader(t, t.TempDir(), "-l", h.addr, "--bind-wait", "60s", "--watch=false", "--", bin)
	r.waitLine(0, regexp.MustCompile(`msg="address in use; retrying".*pid `+strconv.Itoa(h.pid)), 30*time.Second)
	h.stdin.Close() // the holder leaves
	<-h.done
	r.waitLine(0, reReady, 30*time.Second)
	if body, err := get("http://" + h.addr + "/"); err != nil || !strings.HasPrefix(body, "version=v1") {
		t.Errorf("after the holder left: %q %v", body, err)
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestKillStaleOnStart(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	reg, err := portdoctor.OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	owner := startPortHelper(t, "wait")
	h := startPortHelper(t, "tcp")
	recordAs(t, reg, owner.pid, h.pid)
	owner.stdin.Close()
	<-owner.done
	bin := buildServer(t, "stock")
	r := startReloader(t, dir, "-l", h.addr, "--kill-stale", "--watch=false", "--", bin)
	r.waitLine(0, regexp.MustCompile(`msg="ending a child an earlier reloader run left behind" pid=`+strconv.Itoa(h.pid)), 30*time.Second)
	r.waitLine(0, reReady, 30*time.Second)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stale holder still runs")
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d", code)
	}
}
