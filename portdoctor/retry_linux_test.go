package portdoctor

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/portholder"
	"github.com/reloader-dev/reloader/internal/syncio"
)

func TestRetryGivesUpWithDiagnosis(t *testing.T) {
	h := portholder.Start(t, "tcp")
	var logs syncio.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	attempts := 0
	start := time.Now()
	err := ListenRetry(context.Background(), func() error {
		attempts++
		ln, err := net.Listen("tcp", h.Addr)
		if err == nil {
			ln.Close()
		}
		return err
	}, "tcp", h.Addr, time.Second, log)
	if d := time.Since(start); d < time.Second {
		t.Errorf("gave up after %v, before the wait", d)
	}
	var be *BindError
	if !errors.As(err, &be) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("err = %v, want a *BindError wrapping EADDRINUSE", err)
	}
	if attempts < 2 { // each attempt's diagnosis reads /proc: few fit in 1s on a loaded machine
		t.Errorf("%d attempts, want a retry", attempts)
	}
	pid := "pid " + strconv.Itoa(h.PID)
	if !strings.Contains(err.Error(), pid) || holderOf(be.Report, h.PID) == nil {
		t.Errorf("error %q does not name %s", err, pid)
	}
	if n := strings.Count(logs.String(), "address in use; retrying"); n != 1 || !strings.Contains(logs.String(), pid) {
		t.Errorf("want one retry warning naming %s, got:\n%s", pid, logs.String())
	}
}

func TestRetrySucceedsWhenHolderLeaves(t *testing.T) {
	h := portholder.Start(t, "tcp")
	var ln net.Listener
	err := Retry{Wait: 30 * time.Second}.Listen(context.Background(), "tcp", h.Addr, func() error {
		var err error
		ln, err = net.Listen("tcp", h.Addr)
		if err != nil {
			h.Stdin.Close() // the holder leaves after the first failure
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

func TestRetryFailsAtOnceOnOtherErrors(t *testing.T) {
	attempts := 0
	err := ListenRetry(context.Background(), func() error {
		attempts++
		return &net.OpError{Op: "listen", Net: "tcp", Err: syscall.EACCES}
	}, "tcp", "127.0.0.1:80", 10*time.Second, nil)
	var be *BindError
	if !errors.As(err, &be) || be.Report.Kind != KindPermission || attempts != 1 {
		t.Fatalf("err = %v after %d attempts, want one attempt and a permission diagnosis", err, attempts)
	}
	if !strings.HasPrefix(err.Error(), "portdoctor: 127.0.0.1:80: permission denied") {
		t.Errorf("Error() = %q", err)
	}
}

func TestWrap(t *testing.T) {
	ctx := context.Background()
	if Wrap(ctx, "tcp", ":1", nil) != nil {
		t.Error("Wrap(nil) != nil")
	}
	plain := errors.New("x")
	if Wrap(ctx, "unix", "/tmp/x.sock", plain) != plain {
		t.Error("Wrap changed a unix error")
	}
	be := Wrap(ctx, "tcp4", "127.0.0.1:80", syscall.EACCES)
	if Wrap(ctx, "tcp", "127.0.0.1:80", be) != be {
		t.Error("Wrap wrapped a BindError twice")
	}
	if b := be.(*BindError); b.Network != "tcp" || !errors.Is(be, syscall.EACCES) {
		t.Errorf("Wrap = %#v", b)
	}
}
