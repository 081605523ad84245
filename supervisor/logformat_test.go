package supervisor

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The one test of the log format itself: every other test waits on the
// event= attribute (or on Config.OnEvent), never on message text. Scripts
// and the benchmark read these lines, so the message, the event name and
// the attributes, in this order, are part of reloader's interface.
func TestEventLogFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
	for _, ev := range []Event{
		Listening{Address: Address{Name: "http", Network: "tcp", Addr: "127.0.0.1:8080"}},
		Listening{Address: Address{Network: "tcp", Addr: "127.0.0.1:9090"}, Asked: true},
		Building{Gen: 2, Change: "main.go"},
		BuildFailed{Gen: 2, Err: errors.New("exit status 1"), BuildTime: 812345 * time.Microsecond, ServingPID: 41},
		ChildStarted{Gen: 3, PID: 42},
		ChildReady{Gen: 3, PID: 42, Via: "notify", ReadyTime: 153400 * time.Microsecond},
		Swapped{Gen: 3, Change: "main.go", OldPID: 41, NewPID: 42, BuildTime: 1200 * time.Millisecond, SwapTime: 160 * time.Millisecond},
		QueueDrained{PID: 41},
		ChildExited{PID: 41, Status: "exit status 0"},
	} {
		logEvent(log, ev)
	}
	want := []string{
		`level=INFO msg=listening event=listening name=http network=tcp addr=127.0.0.1:8080 proxy=false`,
		`level=INFO msg=listening event=listening network=tcp addr=127.0.0.1:9090 proxy=false asked_by=app`,
		`level=INFO msg=building event=building change=main.go gen=2`,
		`level=ERROR msg="build failed; still serving the previous child" event=build_failed pid=41 gen=2 err="exit status 1" build_time=812ms`,
		`level=INFO msg="child started" event=child_started pid=42 gen=3`,
		`level=INFO msg="child ready" event=child_ready pid=42 gen=3 via=notify ready_time=153ms`,
		`level=INFO msg=swapped event=swapped change=main.go gen=3 old_pid=41 new_pid=42 build_time=1.2s swap_time=160ms`,
		`level=INFO msg="old accept queue empty and requests answered; sending stop signal" event=queue_drained pid=41`,
		`level=INFO msg="child exited" event=child_exited pid=41 status="exit status 0"`,
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}
