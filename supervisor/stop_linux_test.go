package supervisor

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// exitedWithin reports whether pid has exited within d, on a pidfd, which
// becomes readable when the process ends whoever its parent is.
func exitedWithin(pid int, d time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true // already gone
	}
	defer unix.Close(fd)
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(d.Milliseconds()))
	return err == nil && n == 1
}

// A child that ignores SIGTERM, and the grandchild it started, are killed
// as a process group once stop_timeout has passed, and the log says so.
func TestStubbornChildIsKilledAfterStopTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	h := newHarnessMode(t, config(func(c *Config) { c.StopTimeout, c.Ready = timeout, ReadyNotify }), "stubborn")
	first := h.waitReady()["pid"]
	m := regexp.MustCompile(`grandchild=(\d+)`).FindStringSubmatch(get(t, h.url))
	if m == nil || m[1] == "0" {
		t.Fatalf("the stubborn child reported no grandchild: %v", m)
	}
	grandchild, _ := strconv.Atoi(m[1])
	h.setMode("serve")
	h.s.Reload("test")
	h.waitReady()
	stopping := h.log.event(t, &h.logFrom, "stopping")
	killing := h.log.event(t, &h.logFrom, "killed")
	if stopping["pid"] != first || killing["pid"] != first {
		t.Errorf("stopping pid %s, killing pid %s; want the stubborn child %s", stopping["pid"], killing["pid"], first)
	}
	t1, _ := time.Parse(time.RFC3339Nano, stopping["_time"])
	t2, _ := time.Parse(time.RFC3339Nano, killing["_time"])
	if waited := t2.Sub(t1); waited < timeout {
		t.Errorf("killed %v after the stop signal, before stop_timeout (%v)", waited, timeout)
	}
	exited := h.log.event(t, &h.logFrom, "child_exited")
	if exited["pid"] != first || !strings.Contains(exited["status"], "killed") {
		t.Errorf("child exited %v, want pid %s killed", exited, first)
	}
	if !exitedWithin(grandchild, 10*time.Second) {
		t.Errorf("grandchild %d of the stubborn child survived its group's SIGKILL", grandchild)
	}
}

// mkfifo makes a named pipe at path and returns path.
func mkfifo(t *testing.T, path string) string {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readLine opens the named pipe at path, which blocks until a writer opens
// it, and returns the first line written.
func readLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.TrimSpace(line)
}

// Under a wrapper (`sh -c './app; echo'`) the wrapper dies at once on the
// stop signal; the app in its group still gets its whole graceful stop:
// the group is waited for up to stop_timeout before it is killed.
func TestStopWaitsForWrapperGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeScript(t, dir, "app.sh", `
trap 'echo term >> log; sleep 0.5; echo drained >> log; exit 0' TERM
echo started > started.fifo
while :; do sleep 1; done
`)
	cfg := config(func(c *Config) {
		c.Dir = dir
		c.Command = []string{"sh", "-c", "./app.sh; echo wrapper-done >> log"}
		c.Ready, c.ReadyDelay = ReadyDelay, 100*time.Millisecond
		c.StopTimeout = 30 * time.Second
	})
	fifo := mkfifo(t, filepath.Join(dir, "started.fifo"))
	h := newHarness(t, cfg)
	waitFor[ChildReady](t, h, nil)
	readLine(t, fifo) // the app runs its loop, its TERM trap set
	start := time.Now()
	if err := h.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	took := time.Since(start)
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	log := string(b)
	if !strings.Contains(log, "term") || !strings.Contains(log, "drained") {
		t.Errorf("app log %q after stop (%v): want term and drained, the app's whole graceful stop", log, took)
	}
	if has[Killed](h) {
		t.Errorf("a killed event: the group was killed though it ended within stop_timeout; events %v", h.names())
	}
	if took >= cfg.StopTimeout {
		t.Errorf("stop took %v, want less than stop_timeout %v", took, cfg.StopTimeout)
	}
}
