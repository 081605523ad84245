package proc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(probeAppEnv); mode != "" {
		runProbeApp(mode)
	}
	if shim, err := RunShimIfRequested(); shim {
		if err == nil {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(127)
	}
	os.Exit(m.Run())
}

// startSleeper starts sleep in a process group of its own and reaps it in
// the background; the returned channel closes when it has exited.
func startSleeper(t *testing.T) (int, <-chan struct{}) {
	t.Helper()
	p, err := Start([]string{"/bin/sleep", "60"}, Attr{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		p.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		KillGroup(p.Pid)
		<-done
	})
	return p.Pid, done
}

// startReaper starts a reaper: this test binary, whose TestMain runs it.
func startReaper(t *testing.T) *Reaper {
	t.Helper()
	shim, err := OpenShim("")
	if err != nil {
		t.Fatal(err)
	}
	defer shim.Close()
	r, err := StartReaper(shim, os.Environ(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func exited(done <-chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// Start puts the child in a process group of its own, and the group
// functions act on it; a group that is gone is not an error.
func TestStartGroupSignalAndGone(t *testing.T) {
	t.Parallel()
	pid, done := startSleeper(t)
	if g := Group(pid); g != pid {
		t.Fatalf("child %d is in process group %d, want its own", pid, g)
	}
	if WaitGroupGone(pid, 50*time.Millisecond) {
		t.Fatal("WaitGroupGone reported a running group gone")
	}
	if err := SignalGroup(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !exited(done, 10*time.Second) {
		t.Fatal("SIGTERM to the group did not end the child")
	}
	if !WaitGroupGone(pid, 5*time.Second) {
		t.Error("WaitGroupGone: the group is still there after its only member was reaped")
	}
	for _, err := range []error{SignalGroup(pid, syscall.SIGTERM), KillGroup(pid), SignalLeader(pid, syscall.SIGKILL)} {
		if err != nil {
			t.Errorf("signalling a gone process: %v, want nil", err)
		}
	}
}

// Through the exec shim, the app gets the socket at fd 3, LISTEN_PID is its
// own pid, and the supervisor's socket stays non-blocking (Start never
// calls File.Fd on it).
func TestStartThroughShimWithRawFd(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rc, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	rc.Control(func(f uintptr) { fd = int(f) })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	env := []string{ShimEnv + "=1", "LISTEN_FDS=1", "PATH=/usr/bin:/bin"}
	script := `s=nosocket; [ -S /proc/$$/fd/3 ] && s=socket; echo "$$ $LISTEN_PID ${` + ShimEnv + `:-unset} $s"`
	p, err := Start([]string{exe, "/bin/sh", "-c", script}, Attr{Env: env, Fds: []int{fd}, Stdout: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Wait()
	line, _ := bufio.NewReader(r).ReadString('\n')
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != strconv.Itoa(p.Pid) || f[1] != f[0] || f[2] != "unset" || f[3] != "socket" {
		t.Errorf("the app printed %q; want its pid %d twice (LISTEN_PID), %s unset and a socket at fd 3", line, p.Pid, ShimEnv)
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Error("the supervisor's socket became blocking after Start")
	}
}

// When the supervisor dies (its end of the pipe closes without "exit"),
// the reaper SIGKILLs every group it was told about and not told is gone.
func TestReaperKillsGroupsWhenSupervisorDies(t *testing.T) {
	t.Parallel()
	r := startReaper(t)
	added, addedDone := startSleeper(t)
	forgotten, forgottenDone := startSleeper(t)
	r.Add(added)
	r.Add(forgotten)
	r.Gone(forgotten)
	r.mu.Lock()
	r.w.Close() // as the kernel does when the supervisor dies
	r.w = nil
	r.mu.Unlock()
	if !exited(addedDone, 10*time.Second) {
		t.Error("the reaper did not kill the group it was told about")
	}
	if exited(forgottenDone, 200*time.Millisecond) {
		t.Error("the reaper killed a group it was told is gone")
	}
}

// After Close (a clean stop), the reaper kills nothing; Add, Gone and
// Close on a nil or zero Reaper do nothing.
func TestReaperCloseKillsNothing(t *testing.T) {
	t.Parallel()
	r := startReaper(t)
	pid, done := startSleeper(t)
	r.Add(pid)
	r.Close()
	r.Add(pid) // after Close: ignored
	if exited(done, 300*time.Millisecond) {
		t.Error("the reaper killed a group after a clean Close")
	}
	var nilReaper *Reaper
	for _, z := range []*Reaper{nilReaper, {}} {
		z.Add(1)
		z.Gone(1)
		z.Close()
	}
}

func TestParseSignal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]syscall.Signal{
		"SIGTERM": syscall.SIGTERM, "term": syscall.SIGTERM, " INT ": syscall.SIGINT, "15": syscall.SIGTERM, "SIGUSR2": syscall.SIGUSR2,
	} {
		got, err := ParseSignal(in)
		if err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "NOPE", "0", "65", "SIG"} {
		if _, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q): no error", in)
		}
	}
}
