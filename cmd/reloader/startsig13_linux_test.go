package main

import (
	"net"
	"regexp"
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
	bin := buildCmdApp13(t)
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
			dir := t.TempDir()
			args := append([]string{reloaderBin}, tt.args...)
			args = append(args, "-l", addr, "--bind-wait", "2m", "--", bin)
			r := cstart13(t, dir, args...)
			_, next := r.wait(0, regexp.MustCompile(`event=bind_retry`), 60*time.Second)
			for _, sig := range tt.sigs {
				r.cmd.Process.Signal(sig)
				name := regexp.QuoteMeta(sig.String())
				re := regexp.MustCompile(`event=signal_ignored signal=(?:` + name + `|"` + name + `")`)
				_, next = r.wait(next, re, 60*time.Second)
			}
			hold.Close()
			m, _ := r.wait(next, reChild13, 60*time.Second)
			body, err := cget13("http://" + addr + "/")
			if err != nil || !strings.HasPrefix(body, "pid="+m[1]+" ") {
				t.Fatalf("GET = %q, %v; want an answer from pid %s", body, err, m[1])
			}
			if st := r.stop(syscall.SIGTERM); st.ExitCode() != 0 {
				t.Errorf("reloader exit %v after SIGTERM, want 0", st)
			}
		})
	}
}
