//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// measureInit builds the app in dir as reloader's dev profile does and
// starts it runs times on its own, with no supervisor, timing each start to
// its READY=1 (sent after its init and its listen, as go-systemd's
// daemon.SdNotify does): the app's init as it really runs on this machine,
// the Go runtime's start included, not the 150 ms its source sleeps. A
// budget of "build + app init" uses this figure.
func measureInit(ctx context.Context, e *env, dir string, runs int) ([]time.Duration, error) {
	bin := filepath.Join(e.tmp, "init-"+filepath.Base(dir))
	args := append(append([]string{"build"}, devProfile()...), "-o", bin, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %v: %w\n%s", args, err, out)
	}
	var took []time.Duration
	for i := 0; i < runs; i++ {
		d, err := timeToReady(ctx, bin, filepath.Join(e.tmp, "init-notify-"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		took = append(took, d)
	}
	return took, nil
}

// timeToReady starts bin with NOTIFY_SOCKET at sock and returns the time
// from its start to the READY=1 it sends; it then kills it.
func timeToReady(ctx context.Context, bin, sock string) (time.Duration, error) {
	os.Remove(sock)
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return 0, err
	}
	defer os.Remove(sock)
	defer c.Close()
	addr, err := freePort()
	if err != nil {
		return 0, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "ADDR="+addr, "PORT="+port)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 256)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return 0, fmt.Errorf("%s: no READY=1 within 30s: %w", bin, err)
		}
		if string(buf[:n]) == "READY=1" {
			return time.Since(start), nil
		}
	}
}
