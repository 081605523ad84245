//go:build unix

package portholder

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Holder is a running holder process. Its command line ends in
// "port-helper-MODE", which a diagnosis shows.
type Holder struct {
	Cmd   *exec.Cmd
	PID   int
	Addr  string // "-" in mode "wait"
	Stdin io.WriteCloser
	Done  chan struct{} // closed when it has exited
}

// Start starts a holder in mode and waits until it holds its socket. The
// test's cleanup releases it.
func Start(t testing.TB, mode string) *Holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "port-helper-"+mode)
	cmd.Env = append(os.Environ(), Env+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &Holder{Cmd: cmd, PID: cmd.Process.Pid, Stdin: stdin, Done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() {
		cmd.Wait()
		close(h.Done)
	}()
	t.Cleanup(func() { h.Release(t) })
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("port holder %s: %q %v", mode, line, err)
	}
	h.Addr = strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	return h
}

// Release closes the holder's stdin and waits for it to exit; a holder
// still there after 10s is killed and the test fails.
func (h *Holder) Release(t testing.TB) {
	h.Stdin.Close()
	select {
	case <-h.Done:
	case <-time.After(10 * time.Second):
		h.Cmd.Process.Kill()
		<-h.Done
		t.Errorf("port holder %d did not exit when its stdin closed", h.PID)
	}
}

// Port is the holder's port.
func (h *Holder) Port() string {
	_, p, _ := net.SplitHostPort(h.Addr)
	return p
}
