//go:build unix

package portdoctor

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary a helper process (see runHelper).
const helperEnv = "PORTDOCTOR_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

// runHelper holds a socket until stdin is closed. mode is "tcp" (listen on
// 127.0.0.1:0), "udp" (bind 127.0.0.1:0), "tcp-noterm" (tcp, ignoring
// SIGTERM) or "wait" (no socket). It prints "ready ADDR" once it holds it.
func runHelper(mode string) int {
	addr := "-"
	switch mode {
	case "tcp", "tcp-noterm":
		if mode == "tcp-noterm" {
			signal.Ignore(syscall.SIGTERM)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		defer ln.Close()
		addr = ln.Addr().String()
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		defer pc.Close()
		addr = pc.LocalAddr().String()
	}
	fmt.Println("ready", addr)
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	pid   int
	addr  string
	stdin io.WriteCloser
	done  chan struct{}
}

// startHelper starts the test binary in mode, in its own process group as
// reloader starts its children, and waits for its "ready" line.
func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "helper-"+mode)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
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
	h := &helper{cmd: cmd, pid: cmd.Process.Pid, stdin: stdin, done: make(chan struct{})}
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() {
		cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() { h.stop(t) })
	if err != nil || !strings.HasPrefix(line, "ready ") {
		t.Fatalf("helper %s: %q %v", mode, line, err)
	}
	h.addr = strings.TrimSpace(strings.TrimPrefix(line, "ready "))
	return h
}

// stop closes the helper's stdin and waits for it to exit.
func (h *helper) stop(t *testing.T) {
	h.stdin.Close()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
		t.Errorf("helper %d did not exit when its stdin closed", h.pid)
	}
}

// port returns the helper's port.
func (h *helper) port() string {
	_, p, _ := net.SplitHostPort(h.addr)
	return p
}
