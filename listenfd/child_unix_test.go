//go:build unix

package listenfd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as the child process that inherits sockets:
// TestMain runs childMain instead of the tests when LISTENFD_TEST_CHILD is
// set. The parent passes descriptors with exec.Cmd.ExtraFiles (the first
// becomes fd 3). The child's pid is unknown before it starts, so with
// LISTENFD_TEST_SETPID=1 the child sets LISTEN_PID to its own pid before
// the package reads the environment, as the supervisor's exec shim does.
const (
	childModeEnv = "LISTENFD_TEST_CHILD"  // "report", "serve" or "watchdog"
	childPIDEnv  = "LISTENFD_TEST_SETPID" // "1": set LISTEN_PID=own pid
	childNetEnv  = "LISTENFD_TEST_NET"    // network for Listen
	childAddrEnv = "LISTENFD_TEST_ADDR"   // address for Listen
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		if err := childMain(mode); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childReport is what a "report" child found, printed as JSON.
type childReport struct {
	PID                                int
	Names                              []string
	ListenersErr, FilesErr             string
	Listeners, FileNames               []string // listener addresses, file names
	IsPIDMismatch, IsNotSocket         bool     // of ListenersErr
	ListenAddr, ListenErr              string
	ListenAddrInUse, ListenNotSocket   bool
	SecondListenInUse, RelistenAfterOK bool
	EnvLeft                            []string // protocol variables still set
	Cloexec                            bool     // FD_CLOEXEC on fd 3
	ReadyErr                           string
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func childMain(mode string) error {
	if os.Getenv(childPIDEnv) == "1" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
	network, addr := os.Getenv(childNetEnv), os.Getenv(childAddrEnv)
	switch mode {
	case "report":
		r := childReport{PID: os.Getpid(), Names: Names()}
		ls, err := Listeners()
		r.ListenersErr = errText(err)
		r.IsPIDMismatch, r.IsNotSocket = errors.Is(err, ErrPIDMismatch), errors.Is(err, ErrNotSocket)
		for _, l := range ls {
			r.Listeners = append(r.Listeners, l.Addr().String())
			l.Close()
		}
		fs, err := Files()
		r.FilesErr = errText(err)
		for _, f := range fs {
			r.FileNames = append(r.FileNames, f.Name())
			f.Close()
		}
		if addr != "" {
			ln, err := Listen(network, addr)
			r.ListenErr = errText(err)
			r.ListenAddrInUse = errors.Is(err, syscall.EADDRINUSE)
			r.ListenNotSocket = errors.Is(err, ErrNotSocket)
			if err == nil {
				r.ListenAddr = ln.Addr().String()
				_, err2 := Listen(network, addr)
				r.SecondListenInUse = errors.Is(err2, ErrInUse)
				ln.Close()
				if ln3, err3 := Listen(network, addr); err3 == nil {
					r.RelistenAfterOK = ln3.Addr().String() == r.ListenAddr
					ln3.Close()
				}
			}
		}
		for _, k := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET"} {
			if _, ok := os.LookupEnv(k); ok {
				r.EnvLeft = append(r.EnvLeft, k)
			}
		}
		if flags, err := fcntlGetfd(3); err == nil {
			r.Cloexec = flags&syscall.FD_CLOEXEC != 0
		}
		r.ReadyErr = errText(Ready())
		return json.NewEncoder(os.Stdout).Encode(r)

	case "serve":
		// Serve HTTP on the inherited socket until stdin is closed, then
		// drain. Notifications: STATUS=listening after Listen (so the
		// parent can check that READY=1 comes later, from Accept), and
		// STOPPING=1 after the drain (so it can check Ready sent once).
		ln, err := Listen(network, addr)
		if err != nil {
			return err
		}
		if err := Notify("STATUS=listening"); err != nil {
			return err
		}
		fmt.Printf("%s\n", ln.Addr())
		ctx, cancel := context.WithCancel(context.Background())
		go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
		srv := &http.Server{Handler: okHandler("child pid=" + strconv.Itoa(os.Getpid()))}
		if err := Serve(ctx, srv, ln); err != nil {
			return err
		}
		if err := Ready(); err != nil { // already sent: must not send again
			return err
		}
		return Notify("STOPPING=1")

	case "watchdog":
		return watchdogChild() // notify_unix_test.go
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func fcntlGetfd(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// dupFile returns a new *os.File for l's socket without switching the shared
// file description to blocking mode, as (*net.TCPListener).File().Fd() would.
func dupFile(t *testing.T, l syscall.Conn) *os.File {
	t.Helper()
	rc, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var nfd int
	var derr error
	rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock()
		nfd, derr = syscall.Dup(int(fd))
		if derr == nil {
			syscall.CloseOnExec(nfd)
		}
		syscall.ForkLock.RUnlock()
	})
	if derr != nil {
		t.Fatal(derr)
	}
	f := os.NewFile(uintptr(nfd), "dup")
	t.Cleanup(func() { f.Close() })
	return f
}

// childCmd prepares the test binary as a child in mode with fd 3 = fd3 and
// extra environment variables env.
func childCmd(t *testing.T, mode string, fd3 *os.File, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, childModeEnv+"="+mode)
	cmd.Env = append(cmd.Env, env...)
	if fd3 != nil {
		cmd.ExtraFiles = []*os.File{fd3}
	}
	cmd.Stderr = os.Stderr
	return cmd
}

func runReport(t *testing.T, fd3 *os.File, env ...string) childReport {
	t.Helper()
	out, err := childCmd(t, "report", fd3, env...).Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var r childReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	return r
}

func tcpListenerFile(t *testing.T) (net.Listener, *os.File) {
	ln := localListener(t)
	return ln, dupFile(t, ln.(*net.TCPListener))
}

func checkScrubbed(t *testing.T, r childReport) {
	t.Helper()
	if len(r.EnvLeft) != 0 {
		t.Errorf("environment not scrubbed: %v still set", r.EnvLeft)
	}
}

func TestInheritByName(t *testing.T) {
	ln, f := tcpListenerFile(t)
	r := runReport(t, f, "LISTEN_FDS=1", "LISTEN_FDNAMES=web", childPIDEnv+"=1", childNetEnv+"=tcp", childAddrEnv+"=web")
	if r.ListenErr != "" || r.ListenAddr != ln.Addr().String() {
		t.Errorf(`Listen("tcp", "web") = %q, %q; want the inherited %s`, r.ListenAddr, r.ListenErr, ln.Addr())
	}
	if strings.Join(r.Names, ",") != "web" || strings.Join(r.FileNames, ",") != "web" {
		t.Errorf("Names() = %v, file names %v; want [web]", r.Names, r.FileNames)
	}
	if !r.SecondListenInUse || !r.RelistenAfterOK {
		t.Errorf("second Listen in use = %v, Listen after Close ok = %v; want both true", r.SecondListenInUse, r.RelistenAfterOK)
	}
	if !r.Cloexec {
		t.Error("FD_CLOEXEC not set on inherited fd 3")
	}
	checkScrubbed(t, r)
}

func TestInheritMissingPID(t *testing.T) {
	ln, f := tcpListenerFile(t)
	r := runReport(t, f, "LISTEN_FDS=1", childNetEnv+"=tcp", childAddrEnv+"="+ln.Addr().String())
	if r.ListenErr != "" || r.ListenAddr != ln.Addr().String() {
		t.Errorf("Listen by address = %q, %q; want the inherited %s", r.ListenAddr, r.ListenErr, ln.Addr())
	}
	if r.ListenersErr != "" || strings.Join(r.Listeners, ",") != ln.Addr().String() {
		t.Errorf("Listeners() = %v, %q; want [%s]", r.Listeners, r.ListenersErr, ln.Addr())
	}
	if strings.Join(r.Names, ",") != "LISTEN_FD_3" {
		t.Errorf("Names() = %v, want [LISTEN_FD_3]", r.Names)
	}
	checkScrubbed(t, r)
}

func TestInheritWrongPID(t *testing.T) {
	ln, f := tcpListenerFile(t)
	ppid := strconv.Itoa(os.Getpid()) // certainly not the child's pid
	r := runReport(t, f, "LISTEN_FDS=1", "LISTEN_PID="+ppid, childNetEnv+"=tcp", childAddrEnv+"="+ln.Addr().String())
	if !r.IsPIDMismatch || !strings.Contains(r.ListenersErr, "LISTEN_PID="+ppid) ||
		!strings.Contains(r.ListenersErr, "pid "+strconv.Itoa(r.PID)) {
		t.Errorf("Listeners() error = %q, want a PID mismatch naming %s and %d", r.ListenersErr, ppid, r.PID)
	}
	if r.FilesErr != r.ListenersErr || r.Names != nil {
		t.Errorf("Files() error = %q, Names() = %v; want the same error and nil", r.FilesErr, r.Names)
	}
	// Listen ignored the inherited socket and bound the address itself,
	// which fails because the parent's socket holds the port.
	if !r.ListenAddrInUse {
		t.Errorf("Listen = %q, %q; want EADDRINUSE from binding itself", r.ListenAddr, r.ListenErr)
	}
	checkScrubbed(t, r)
}

func TestInheritNotSocket(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	r := runReport(t, pr, "LISTEN_FDS=1", "LISTEN_FDNAMES=http", childPIDEnv+"=1", childNetEnv+"=tcp", childAddrEnv+"=http")
	const want = `listenfd: fd 3 ("http"): not a socket`
	if r.ListenersErr != want || !r.IsNotSocket || r.FilesErr != want {
		t.Errorf("Listeners() error = %q, Files() error = %q; want %q", r.ListenersErr, r.FilesErr, want)
	}
	if strings.Join(r.Names, ",") != "http" {
		t.Errorf("Names() = %v, want [http]", r.Names)
	}
	if r.ListenErr != want || !r.ListenNotSocket {
		t.Errorf(`Listen("tcp", "http") error = %q, want %q`, r.ListenErr, want)
	}
	checkScrubbed(t, r)
}

func TestInheritInvalidEnv(t *testing.T) {
	r := runReport(t, nil, "LISTEN_FDS=one", childNetEnv+"=tcp", childAddrEnv+"=127.0.0.1:0")
	const want = `listenfd: invalid LISTEN_FDS="one": not a non-negative integer`
	if r.ListenersErr != want || r.ListenErr != want {
		t.Errorf("Listeners() error = %q, Listen error = %q; want %q", r.ListenersErr, r.ListenErr, want)
	}
	checkScrubbed(t, r)
}

func TestNothingInherited(t *testing.T) {
	r := runReport(t, nil, childNetEnv+"=tcp", childAddrEnv+"=127.0.0.1:0")
	if r.ListenersErr != "" || r.Listeners != nil || r.FileNames != nil || r.Names != nil {
		t.Errorf("Listeners/Files/Names = %v %q / %v / %v, want nil", r.Listeners, r.ListenersErr, r.FileNames, r.Names)
	}
	if r.ListenErr != "" || r.ReadyErr != "" {
		t.Errorf("standalone Listen error %q, Ready error %q; want none", r.ListenErr, r.ReadyErr)
	}
}

// TestInheritServe runs a child that serves HTTP on the inherited socket
// and checks that the child answers (the parent never accepts), that READY=1
// is sent by the first Accept (after the child's STATUS=listening) and only
// once, and that the child drains and exits cleanly when told to stop.
func TestInheritServe(t *testing.T) {
	ln, f := tcpListenerFile(t)
	notifyPath, notifications := notifySocket(t)
	cmd := childCmd(t, "serve", f, "LISTEN_FDS=1", childPIDEnv+"=1", "NOTIFY_SOCKET="+notifyPath,
		childNetEnv+"=tcp", childAddrEnv+"="+ln.Addr().String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading child address: %v", err)
	}
	if got := strings.TrimSpace(line); got != ln.Addr().String() {
		t.Fatalf("child listens on %s, want the inherited %s", got, ln.Addr())
	}
	if got := notifications(); got != "STATUS=listening" {
		t.Fatalf("first notification %q, want STATUS=listening", got)
	}

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "child pid=" + strconv.Itoa(cmd.Process.Pid); string(body) != want {
		t.Errorf("response %q, want %q", body, want)
	}
	if got := notifications(); got != "READY=1" {
		t.Errorf("second notification %q, want READY=1", got)
	}

	stdin.Close()
	if got := notifications(); got != "STOPPING=1" {
		t.Errorf("third notification %q, want STOPPING=1 (READY=1 sent more than once?)", got)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("child: %v", err)
	}
}
