package main

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalsDuringStartUp: SIGHUP (and, for serve, SIGUSR2) while
// supervisor.New still waits for an address someone else holds must not
// kill reloader: once the address is free it serves.
func TestSignalsDuringStartUp(t *testing.T) {
	t.Parallel()
	bin := buildServer(t, "orphaner")
	for _, tt := range []struct {
		name string
		args []string
		sigs []syscall.Signal
	}{
		{"dev", nil, []syscall.Signal{syscall.SIGHUP}},
		{"serve", []string{"serve"}, []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Another process (this one) holds the address, without
			// SO_REUSEPORT, so reloader's bind fails and is retried.
			hold, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Close()
			addr := hold.Addr().String()
			args := append(append([]string{}, tt.args...), "-l", addr, "--bind-wait", "2m", "--", bin)
			r := startReloader(t, t.TempDir(), args...)
			_, next := r.waitEvent(0, "bind_retry", 60*time.Second)
			for _, sig := range tt.sigs {
				r.cmd.Process.Signal(sig)
				_, next = r.waitEvent(next, "signal_ignored", 60*time.Second, "signal="+sig.String())
			}
			hold.Close()
			pid, _ := r.eventPid(next, "child_ready", 60*time.Second)
			body, err := get("http://" + addr + "/")
			if err != nil || !strings.HasPrefix(body, "pid="+strconv.Itoa(pid)+" ") {
				t.Fatalf("GET = %q, %v; want an answer from pid %d", body, err, pid)
			}
			if code := r.stop(syscall.SIGTERM); code != 0 {
				t.Errorf("reloader exit %d after SIGTERM, want 0", code)
			}
		})
	}
}
