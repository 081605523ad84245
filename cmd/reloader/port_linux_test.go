package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/portholder"
	"github.com/reloader-dev/reloader/portdoctor"
)

// runPort runs `reloader port args...` in process and returns the exit
// code and output.
func runPort(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := runWithIO(context.Background(), append([]string{"port"}, args...), ioStreams{Out: &out, Err: &out})
	return code, out.String()
}

func TestPortForeignHolder(t *testing.T) {
	t.Parallel()
	h := portholder.Start(t, "tcp")
	pid := strconv.Itoa(h.PID)
	want := h.Addr + " is in use by pid " + pid + " ("

	// portRun directly.
	var out bytes.Buffer
	network, addr, err := portdoctor.ParseTarget(h.Addr)
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
	code, text := runPort(t, h.Addr)
	if code != exitPortInUse || !strings.Contains(text, "EADDRINUSE 98") || !strings.Contains(text, "kill "+pid) {
		t.Errorf("reloader port %s: exit %d\n%s", h.Addr, code, text)
	}

	// The built binary.
	cmd := exec.Command(reloaderBin, "port", h.Addr)
	b, err := cmd.Output()
	if cmd.ProcessState.ExitCode() != exitPortInUse || !strings.HasPrefix(string(b), want) {
		t.Errorf("%s port %s: %v\n%s", reloaderBin, h.Addr, err, b)
	}
}

func TestStartupNamesHolder(t *testing.T) {
	t.Parallel()
	h := portholder.Start(t, "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, reloaderBin, "-l", h.Addr, "--", "sleep", "300")
	cmd.Dir = t.TempDir()
	b, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("reloader with a held port: %v, want exit %d\n%s", err, exitError, b)
	}
	want := "reloader: supervisor: listen on LISTEN_FD_3=" + h.Addr + ": portdoctor: " + h.Addr + " is in use by pid " + strconv.Itoa(h.PID)
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), "port-helper-tcp") || !strings.Contains(string(b), "what to do:") {
		t.Errorf("startup error does not name the holder (%q) and print the diagnosis:\n%s", want, b)
	}
}

func TestPortTimeWaitOnly(t *testing.T) {
	t.Parallel()
	addr := portholder.TimeWait(t)
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
	r.waitEvent(0, "listening", 60*time.Second, "addr="+addr)
	r.waitEvent(0, "child_ready", 60*time.Second)
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("reloader exit %d after SIGINT", code)
	}
}

func TestPortUDPHolder(t *testing.T) {
	t.Parallel()
	h := portholder.Start(t, "udp")
	code, text := runPort(t, "udp:"+h.Addr)
	want := "udp " + h.Addr + " is in use by pid " + strconv.Itoa(h.PID)
	if code != exitPortInUse || !strings.HasPrefix(text, want) {
		t.Errorf("reloader port udp:%s: exit %d, want %d and %q\n%s", h.Addr, code, exitPortInUse, want, text)
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
	owner := portholder.Start(t, "wait")
	h := portholder.Start(t, "tcp")
	cs := recordAs(t, reg, owner.PID, h.PID)
	owner.Stdin.Close()
	<-owner.Done
	if c := cs; c.OwnerRunning() || !c.Running() {
		t.Fatalf("record %+v: want a running child of a dead owner", c)
	}

	var out bytes.Buffer
	err = portRun(context.Background(), &PortOptions{IO: ioStreams{Out: &out, Err: &out}, Network: "tcp", Addr: h.Addr, Dir: dir})
	if !strings.Contains(out.String(), "a child left behind by an earlier reloader run in this directory") {
		t.Errorf("diagnosis does not name the stale child (%v):\n%s", err, out.String())
	}
	out.Reset()
	err = portRun(context.Background(), &PortOptions{IO: ioStreams{Out: &out, Err: &out}, Network: "tcp", Addr: h.Addr, Dir: dir, KillStale: true})
	if err != nil || !strings.Contains(out.String(), "ended pid "+strconv.Itoa(h.PID)) || !strings.Contains(out.String(), "is free") {
		t.Fatalf("port --kill-stale: %v\n%s", err, out.String())
	}
	select {
	case <-h.Done:
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
	ready, _ := r.waitEvent(0, "child_ready", 60*time.Second)
	cs, err := reg.Children()
	if err != nil || len(cs) != 1 || strconv.Itoa(cs[0].PID) != ready["pid"] || cs[0].Owner != r.cmd.Process.Pid || !cs[0].Running() || !cs[0].OwnerRunning() {
		t.Fatalf("registry after start = %+v, %v; want child pid %s of reloader %d", cs, err, ready["pid"], r.cmd.Process.Pid)
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if cs, err := reg.Children(); err != nil || len(cs) != 0 {
		t.Errorf("registry after exit = %+v, %v; want empty", cs, err)
	}
}

func TestStartupRetriesUntilTheHolderLeaves(t *testing.T) {
	t.Parallel()
	h := portholder.Start(t, "tcp")
	bin := buildServer(t, "stock")
	r := startReloader(t, t.TempDir(), "-l", h.Addr, "--bind-wait", "60s", "--watch=false", "--ready-delay", "50ms", "--", bin)
	retry, _ := r.waitEvent(0, "bind_retry", 30*time.Second)
	if !strings.Contains(retry["why"], "pid "+strconv.Itoa(h.PID)) {
		t.Errorf("the retry does not name the holder %d: %v", h.PID, retry)
	}
	h.Stdin.Close() // the holder leaves
	<-h.Done
	r.waitEvent(0, "child_ready", 30*time.Second)
	if body, err := get("http://" + h.Addr + "/"); err != nil || !strings.HasPrefix(body, "version=v1") {
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
	owner := portholder.Start(t, "wait")
	h := portholder.Start(t, "tcp")
	recordAs(t, reg, owner.PID, h.PID)
	owner.Stdin.Close()
	<-owner.Done
	// Not parallel (t.Setenv): a child that builds nothing.
	r := startReloader(t, dir, "-l", h.Addr, "--kill-stale", "--watch=false", "--ready", "delay", "--ready-delay", "10ms", "--", "sleep", "300")
	r.waitEvent(0, "stale_killed", 30*time.Second, "pid="+strconv.Itoa(h.PID))
	r.waitEvent(0, "child_ready", 30*time.Second)
	select {
	case <-h.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stale holder still runs")
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d", code)
	}
}
