package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/listenfd"
	"golang.org/x/sys/unix"
)

// pythonApp13 is a plain Python server on fd 3, as a systemd service is
// written: socket.socket(fileno=3) and a blocking accept(). It sends
// READY=1 before accepting, and on SIGTERM exits once it is between
// requests.
const pythonApp13 = `
import os, signal, socket
s = socket.socket(fileno=3)
idle, stop = True, False
def term(*_):
    global stop
    stop = True
    if idle:
        os._exit(0)
signal.signal(signal.SIGTERM, term)
ns = os.environ.get("NOTIFY_SOCKET", "")
if ns:
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.sendto(b"READY=1", "\0" + ns[1:] if ns[0] == "@" else ns)
    n.close()
body = ("kind=python pid=%d\n" % os.getpid()).encode()
while not stop:
    idle = True
    c, _ = s.accept()
    idle = False
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(4096)
        if not d:
            break
        data += d
    c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    c.close()
`

// goChild13Env makes TestMixedGoAndPythonGenerations13 play a Go app on
// fd 3 (listenfd: net.FileListener, which sets O_NONBLOCK on the shared
// open file description).
const goChild13Env = "SUPERVISOR13_GO_CHILD"

// python13 returns the real python3 executable (not a version manager's
// shim script), or skips.
func python13(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skipf("python3: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// failOn13 is true for events that mean the app could not serve.
func failOn13(t *testing.T, out *rec13, ev Event) {
	t.Helper()
	switch ev.(type) {
	case StartFailed, Crashed, AddressInUse:
		out.mu.Lock()
		o := out.buf.String()
		out.mu.Unlock()
		t.Fatalf("%s: %+v\napp output:\n%s", ev.Name(), ev, o)
	}
}

// waitSwap13 waits for the next swap and the exit of the child it
// replaced, in either order.
func waitSwap13(t *testing.T, ev *events13, out *rec13) Swapped {
	t.Helper()
	var sw *Swapped
	exited := map[int]bool{}
	ev.wait("swapped and child_exited", func(e Event) bool {
		failOn13(t, out, e)
		switch x := e.(type) {
		case Swapped:
			sw = &x
		case ChildExited:
			exited[x.PID] = true
		}
		return sw != nil && exited[sw.OldPID]
	})
	return *sw
}

// get13 GETs url on a fresh connection and returns the body.
func get13(url string) (string, error) {
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

func nonblock13(t *testing.T, s *Supervisor) bool {
	t.Helper()
	rc, err := s.Serving()[0].Conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fl int
	var ferr error
	if err := rc.Control(func(fd uintptr) { fl, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	return fl&unix.O_NONBLOCK != 0
}

// TestPythonAppAcceptsOnFD3 checks issue 13, finding 9: a Python app
// calling accept() on fd 3 serves, with steering and with one shared
// socket, across a swap, instead of failing with BlockingIOError (which
// reloader then blamed on the app binding the port).
func TestPythonAppAcceptsOnFD3(t *testing.T) {
	t.Parallel()
	py := python13(t)
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "steered", true: "shared"}[shared], func(t *testing.T) {
			t.Parallel()
			out := &rec13{more: make(chan struct{}, 1)}
			ev := newEvents13(t)
			s := startSup13(t, config(func(c *Config) {
				c.Command = []string{py, "-c", pythonApp13}
				c.Listen = []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
				c.NoSteering = shared
				c.Ready, c.ReadyTimeout = ReadyNotify, time.Minute
				c.Stdout, c.Stderr = out, out
				c.Logger = slog.New(slog.DiscardHandler)
				c.OnEvent = ev.on
			}))
			url := "http://" + s.Addrs()[0].Addr + "/"
			ready := ev.wait("child_ready", func(e Event) bool { failOn13(t, out, e); _, ok := e.(ChildReady); return ok }).(ChildReady)
			for range 10 {
				body, err := get13(url)
				if err != nil || !strings.Contains(body, fmt.Sprintf("kind=python pid=%d", ready.PID)) {
					t.Fatalf("GET = %q, %v; want pid %d", body, err, ready.PID)
				}
			}
			s.Reload("test")
			sw := waitSwap13(t, ev, out)
			for range 10 {
				body, err := get13(url)
				if err != nil || !strings.Contains(body, fmt.Sprintf("kind=python pid=%d", sw.NewPID)) {
					t.Fatalf("after the swap GET = %q, %v; want pid %d", body, err, sw.NewPID)
				}
			}
		})
	}
}

// TestMixedGoAndPythonGenerations13 alternates Go and Python generations
// under load, with a fresh connection per request (issue 13, finding 9).
// With steering each generation has its own socket: reloader hands it over
// blocking, a Go child sets O_NONBLOCK on its own socket, and that never
// reaches a Python child, which needs it blocking.
func TestMixedGoAndPythonGenerations13(t *testing.T) {
	if os.Getenv(goChild13Env) == "1" {
		goChild13()
		return
	}
	t.Parallel()
	py := python13(t)
	kind := filepath.Join(t.TempDir(), "kind")
	setKind := func(k string) {
		if err := os.WriteFile(kind, []byte(k), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setKind("python")
	out := &rec13{more: make(chan struct{}, 1)}
	ev := newEvents13(t)
	s := startSup13(t, config(func(c *Config) {
		c.Command = []string{"/bin/sh", "-c", `if [ "$(cat "$KIND13")" = python ]; then exec "$PY13" -c "$APP13"; fi; exec "$GO13" -test.run='^TestMixedGoAndPythonGenerations13$'`}
		c.Env = []string{"KIND13=" + kind, "PY13=" + py, "APP13=" + pythonApp13, "GO13=" + os.Args[0], goChild13Env + "=1"}
		c.Listen = []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}
		c.Ready, c.ReadyTimeout = ReadyNotify, time.Minute
		c.Stdout, c.Stderr = out, out
		c.Logger = slog.New(slog.DiscardHandler)
		c.OnEvent = ev.on
	}))
	if st, ok := s.srv.(steered); !ok || !st.g.Steered() {
		t.Skip("no connection steering on this system")
	}
	url := "http://" + s.Addrs()[0].Addr + "/"
	ev.wait("child_ready", func(e Event) bool { failOn13(t, out, e); _, ok := e.(ChildReady); return ok })

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fails []string
	kinds := map[string]int{}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				body, err := get13(url)
				mu.Lock()
				if err != nil {
					fails = append(fails, err.Error())
				} else {
					k, _, _ := strings.Cut(body, " ")
					kinds[k]++
				}
				mu.Unlock()
			}
		})
	}
	for i, k := range []string{"go", "python", "go", "python"} {
		setKind(k)
		s.Reload("test")
		waitSwap13(t, ev, out)
		// What the serving child left on its own socket: Go sets
		// O_NONBLOCK, Python keeps it blocking as handed over.
		if nb := nonblock13(t, s); nb != (k == "go") {
			t.Errorf("swap %d to %s: serving socket O_NONBLOCK=%v", i+1, k, nb)
		}
	}
	close(stop)
	wg.Wait()
	if len(fails) > 0 || kinds["kind=go"] == 0 || kinds["kind=python"] == 0 {
		t.Errorf("answers %v, %d failed: %v", kinds, len(fails), fails)
	}
}

// goChild13 serves HTTP on fd 3 with listenfd until SIGTERM, then drains.
func goChild13() {
	lns, err := listenfd.Listeners()
	if err != nil || len(lns) != 1 {
		fmt.Fprintln(os.Stderr, "go child:", err, len(lns))
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	body := fmt.Sprintf("kind=go pid=%d\n", os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })}
	if err := listenfd.Serve(ctx, srv, lns[0]); err != nil {
		fmt.Fprintln(os.Stderr, "go child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
