package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if shim, err := RunShimIfRequested(); shim {
		if err == nil {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(127)
	}
	if os.Getenv(childModeEnv) != "" {
		runTestChild()
	}
	os.Exit(m.Run())
}

// logSink records log messages so tests can wait for them.
type logSink struct {
	mu   sync.Mutex
	recs []slog.Record
	more chan struct{}
}

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
	return nil
}

// event returns the attrs of the first record from index *from on whose
// event= attribute is name (see events.go), and advances *from past it.
func (l *logSink) event(t *testing.T, from *int, name string) map[string]string {
	t.Helper()
	return l.find(t, from, "event "+name, func(r slog.Record) bool {
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == "event" && a.Value.String() == name
			return !found
		})
		return found
	})
}

// wait is event for log lines that are no events (the notify socket's and
// the SO_REUSEPORT group's warnings): it matches the message.
func (l *logSink) wait(t *testing.T, from *int, msg string) map[string]string {
	t.Helper()
	return l.find(t, from, "message "+msg, func(r slog.Record) bool { return r.Message == msg })
}

func (l *logSink) find(t *testing.T, from *int, what string, match func(slog.Record) bool) map[string]string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		for ; *from < len(l.recs); *from++ {
			if r := l.recs[*from]; match(r) {
				attrs := map[string]string{"_time": r.Time.Format(time.RFC3339Nano)}
				r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
				*from++
				l.mu.Unlock()
				return attrs
			}
		}
		l.mu.Unlock()
		select {
		case <-l.more:
		case <-deadline:
			t.Fatalf("no log line with %s within 30s", what)
		}
	}
}

// harness runs a real Supervisor in the background until the test ends,
// its log in a logSink and its events in an eventLog.
type harness struct {
	*eventLog
	t       *testing.T
	s       *Supervisor
	log     *logSink
	mode    string // path of the mode file
	url     string
	cancel  context.CancelFunc
	runErr  chan error
	logFrom int

	stopOnce sync.Once
	stopErr  error
}

func newHarness(t *testing.T, cfg Config) *harness {
	return newHarnessMode(t, cfg, "serve")
}

func newHarnessMode(t *testing.T, cfg Config, mode string) *harness {
	t.Helper()
	h := &harness{eventLog: newEventLog(), t: t, log: &logSink{more: make(chan struct{}, 1)}, runErr: make(chan error, 1)}
	h.mode = filepath.Join(t.TempDir(), "mode")
	h.setMode(mode)
	if cfg.Command == nil {
		cfg.Command = []string{os.Args[0]}
	}
	cfg.Env = append(cfg.Env, childModeEnv+"="+h.mode)
	if cfg.Listen == nil {
		cfg.Listen = []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
	}
	cfg.Logger = slog.New(h.log)
	if on := cfg.OnEvent; on != nil {
		cfg.OnEvent = func(ev Event) { h.record(ev); on(ev) }
	} else {
		cfg.OnEvent = h.record
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	if a := s.Addrs(); len(a) > 0 {
		h.url = "http://" + a[0].Addr + "/"
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- s.Run(ctx) }()
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

// stop cancels Run and returns its error; later calls return the same.
func (h *harness) stop() error {
	h.stopOnce.Do(func() {
		h.cancel()
		h.stopErr = <-h.runErr
	})
	return h.stopErr
}

func (h *harness) setMode(mode string) {
	if err := os.WriteFile(h.mode, []byte(mode), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) waitReady() map[string]string {
	h.t.Helper()
	return h.log.event(h.t, &h.logFrom, "child_ready")
}

// get GETs url on a fresh connection and returns the body.
func get(t *testing.T, url string) string {
	t.Helper()
	body, err := fetch(url)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// fetch is get for goroutines and for tests that check the error: it
// returns the body, and an error for a failed request or any status but
// 200. The timeout only guards a failing test against hanging.
func fetch(url string) (string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %s", resp.Status)
	}
	return string(b), err
}

func TestHandoffEnvironment(t *testing.T) {
	t.Parallel()
	h := newHarness(t, DefaultConfig())
	ready := h.waitReady()
	body := get(t, h.url)
	pid := ready["pid"]
	for _, want := range []string{"pid=" + pid + " ", "listen_pid=" + pid + " ", "listen_fds=1 ", "names=web "} {
		if !strings.Contains(body, want) {
			t.Errorf("child sees %q, want it to contain %q", body, want)
		}
	}
	if ready["via"] != "notify" {
		t.Errorf("ready via %q, want notify", ready["via"])
	}
}

func TestSwapsKeepSocketNonblockingUnderLoad(t *testing.T) {
	t.Parallel()
	h := newHarness(t, DefaultConfig())
	h.waitReady()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	oks := 0
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: i%2 == 0}, Timeout: 10 * time.Second}
			for n := 0; n < 100000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(h.url)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					oks++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		h.s.Reload("test")
		h.waitReady()
		h.log.event(t, &h.logFrom, "child_exited")
		// The serving socket shares its open file description, and so
		// its O_NONBLOCK, with the dup children get.
		nb, err := nonblocking(h.s.Serving()[0].Conn)
		if err != nil || !nb {
			t.Fatalf("after swap %d the shared socket is not O_NONBLOCK (%v)", i+1, err)
		}
	}
	close(stop)
	wg.Wait()
	if oks == 0 || len(failures) > 0 {
		t.Errorf("ok=%d failed=%d: %v", oks, len(failures), failures)
	}
}

func TestNewChildThatExitsNeverReplacesServing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, DefaultConfig())
	first := h.waitReady()["pid"]
	h.setMode("exit")
	h.s.Reload("test")
	failed := h.log.event(t, &h.logFrom, "start_failed")
	if failed["pid"] != first {
		t.Errorf("kept pid %s, want %s", failed["pid"], first)
	}
	if body := get(t, h.url); !strings.Contains(body, "pid="+first+" ") {
		t.Errorf("served by %q, want pid %s", body, first)
	}
}

func TestNotifyModeTimesOutWithoutReady(t *testing.T) {
	t.Parallel()
	// Long enough for a race-built first child on a loaded machine.
	h := newHarness(t, config(func(c *Config) { c.Ready, c.ReadyTimeout = ReadyNotify, 3*time.Second }))
	first := h.waitReady()["pid"]
	h.setMode("quiet")
	h.s.Reload("test")
	failed := h.log.event(t, &h.logFrom, "start_failed")
	if failed["pid"] != first || !strings.Contains(failed["err"], "ready_timeout") {
		t.Errorf("failure = %v, want pid %s and a ready_timeout error", failed, first)
	}
}

func TestSequentialStopsOldBeforeStartingNew(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config(func(c *Config) { c.Restart = RestartSequential }))
	first := h.waitReady()["pid"]
	h.s.Reload("test")
	exited := h.log.event(t, &h.logFrom, "child_exited")
	if exited["pid"] != first {
		t.Fatalf("first exit is pid %s, want the old child %s", exited["pid"], first)
	}
	started := h.log.event(t, &h.logFrom, "child_started")
	h.waitReady()
	if started["pid"] == first {
		t.Errorf("no new child")
	}
	if body := get(t, h.url); !strings.Contains(body, "pid="+started["pid"]+" ") {
		t.Errorf("served by %q, want %s", body, started["pid"])
	}
}

func TestUDPSocketAnswersAcrossSwaps(t *testing.T) {
	t.Parallel()
	h := newHarnessMode(t, config(func(c *Config) { c.Listen = []Address{{Name: "dns", Network: "udp", Addr: "127.0.0.1:0"}} }), "udpecho")
	h.waitReady()
	conn, err := net.Dial("udp", h.s.Addrs()[0].Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pids := map[string]bool{}
	buf := make([]byte, 1500)
	for i := 0; i < 3; i++ {
		for j := 0; j < 20; j++ {
			msg := fmt.Sprintf("ping %d.%d", i, j)
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("%s: %v", msg, err)
			}
			reply := string(buf[:n])
			pid, rest, _ := strings.Cut(reply, ": ")
			if rest != msg {
				t.Fatalf("reply %q to %q", reply, msg)
			}
			pids[pid] = true
		}
		h.s.Reload("test")
		h.waitReady()
		h.log.event(t, &h.logFrom, "child_exited")
	}
	if len(pids) < 3 {
		t.Errorf("answers came from %d children, want 3: %v", len(pids), pids)
	}
}
