package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// pythonApp is a plain Python server on fd 3, as a systemd service is
// written: socket.socket(fileno=3) and a blocking accept(). It sends
// READY=1 before accepting, and on SIGTERM exits once it is between
// requests.
const pythonApp = `
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

// pythonExe returns the real python3 executable (not a version manager's
// shim script), or skips.
func pythonExe(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skipf("python3: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// failOn fails the test at once on events that mean the app could not
// serve, with the app's output.
func failOn(t *testing.T, out *recorder, ev Event) {
	t.Helper()
	switch ev.(type) {
	case StartFailed, Crashed, AddressInUse:
		t.Fatalf("%s: %+v\napp output:\n%s", ev.Name(), ev, out.String())
	}
}

// waitReadyServing waits for the first child_ready, failing on the way.
func waitReadyServing(t *testing.T, h *harness, out *recorder) ChildReady {
	t.Helper()
	return waitFor(t, h, func(e Event) bool { failOn(t, out, e); _, ok := e.(ChildReady); return ok }).(ChildReady)
}

// waitSwap waits for the swap that replaces the child pid and for that
// child's exit, in either order, failing on the way.
func waitSwap(t *testing.T, h *harness, out *recorder, pid int) Swapped {
	t.Helper()
	var sw *Swapped
	exited := map[int]bool{}
	waitFor(t, h, func(e Event) bool {
		failOn(t, out, e)
		switch x := e.(type) {
		case Swapped:
			if x.OldPID == pid {
				sw = &x
			}
		case ChildExited:
			exited[x.PID] = true
		}
		return sw != nil && exited[sw.OldPID]
	})
	return *sw
}

// TestPythonAppAcceptsOnFD3 checks issue 13, finding 9: a Python app
// calling accept() on fd 3 serves, with steering and with one shared
// socket, across a swap, instead of failing with BlockingIOError (which
// reloader then blamed on the app binding the port).
func TestPythonAppAcceptsOnFD3(t *testing.T) {
	t.Parallel()
	py := pythonExe(t)
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "steered", true: "shared"}[shared], func(t *testing.T) {
			t.Parallel()
			out := newRecorder()
			h := newHarness(t, config(func(c *Config) {
				c.Command = []string{py, "-c", pythonApp}
				c.NoSteering = shared
				c.Ready, c.ReadyTimeout = ReadyNotify, time.Minute
				c.Stdout, c.Stderr = out, out
			}))
			ready := waitReadyServing(t, h, out)
			for range 10 {
				body, err := fetch(h.url)
				if err != nil || !strings.Contains(body, fmt.Sprintf("kind=python pid=%d", ready.PID)) {
					t.Fatalf("GET = %q, %v; want pid %d", body, err, ready.PID)
				}
			}
			h.s.Reload("test")
			sw := waitSwap(t, h, out, ready.PID)
			for range 10 {
				body, err := fetch(h.url)
				if err != nil || !strings.Contains(body, fmt.Sprintf("kind=python pid=%d", sw.NewPID)) {
					t.Fatalf("after the swap GET = %q, %v; want pid %d", body, err, sw.NewPID)
				}
			}
		})
	}
}

// TestMixedGoAndPythonGenerations alternates Go and Python generations
// under load, with a fresh connection per request (issue 13, finding 9).
// With steering each generation has its own socket: reloader hands it over
// blocking, a Go child sets O_NONBLOCK on its own socket, and that never
// reaches a Python child, which needs it blocking. The harness's mode file
// says which: "python" runs pythonApp, "go" the test child's go mode.
func TestMixedGoAndPythonGenerations(t *testing.T) {
	t.Parallel()
	py := pythonExe(t)
	out := newRecorder()
	h := newHarnessMode(t, config(func(c *Config) {
		c.Command = []string{"/bin/sh", "-c", `if [ "$(cat "$` + childModeEnv + `")" = python ]; then exec "$TEST_PYTHON" -c "$TEST_PYTHON_APP"; fi; exec "$TEST_BINARY"`}
		c.Env = []string{"TEST_PYTHON=" + py, "TEST_PYTHON_APP=" + pythonApp, "TEST_BINARY=" + os.Args[0]}
		c.Ready, c.ReadyTimeout = ReadyNotify, time.Minute
		c.Stdout, c.Stderr = out, out
	}), "python")
	if st, ok := h.s.srv.(steered); !ok || !st.g.Steered() {
		t.Skip("no connection steering on this system")
	}
	pid := waitReadyServing(t, h, out).PID

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
				body, err := fetch(h.url)
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
		h.setMode(k)
		h.s.Reload("test")
		pid = waitSwap(t, h, out, pid).NewPID
		// What the serving child left on its own socket: Go sets
		// O_NONBLOCK, Python keeps it blocking as handed over.
		nb, err := nonblocking(h.s.Serving()[0].Conn)
		if err != nil {
			t.Fatal(err)
		}
		if nb != (k == "go") {
			t.Errorf("swap %d to %s: serving socket O_NONBLOCK=%v", i+1, k, nb)
		}
	}
	close(stop)
	wg.Wait()
	if len(fails) > 0 || kinds["kind=go"] == 0 || kinds["kind=python"] == 0 {
		t.Errorf("answers %v, %d failed: %v", kinds, len(fails), fails)
	}
}
