package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/logline"
)

// One real edit -> build -> swap test per serving mode: steered sockets,
// the shared socket, the proxy and sequential restarts. The tests of
// what each mode promises under many swaps use SIGHUP on a prebuilt binary
// (steer_linux_test.go, proxy_linux_test.go).

func TestSwapUnderLoadListenfd(t *testing.T) {
	t.Parallel()
	s := startSession(t, "listenfd")
	res := s.edits(2)
	t.Logf("steered, 2 edits: %v", res)
	if res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	if res.Versions()["v3"] == 0 {
		t.Errorf("last version never served: %v", res)
	}
	s.shutdown()
}

func TestSharedSocketSwapsOnEdit(t *testing.T) {
	t.Parallel()
	s := startSession(t, "stock", "--steering=false")
	res := s.edits(2)
	checkStock(t, "shared socket, 2 edits", res)
	if res.Versions()["v3"] == 0 {
		t.Errorf("last version never served: %v", res)
	}
	s.shutdown()
}

func TestProxySwapsOnEdit(t *testing.T) {
	t.Parallel()
	s := startSession(t, "portapp", "--proxy")
	res := s.edits(2)
	if res.Failed() != 0 {
		t.Errorf("failed requests through the proxy: %v", res)
	}
	// The instrumented app asks for the private address it read from
	// $PORT and is given it: no warning, and each child ready by an exact
	// rule (its first accept there, or the proxy's probe answered).
	for _, a := range s.r.events(0, "child_ready") {
		if a["via"] != "accept" && a["via"] != "probe" {
			t.Errorf("child %s ready via %q, want accept or probe", a["pid"], a["via"])
		}
	}
	if out := s.r.output(); strings.Contains(out, "cannot hand over") {
		t.Errorf("the $PORT address was not handed over:\n%s", out)
	}
	s.shutdown()
}

// Sequential: the old child is gone before the new one starts; meanwhile
// connections wait in the kernel queue of reloader's socket.
func TestSequentialSwapsOnEdit(t *testing.T) {
	t.Parallel()
	s := startSession(t, "listenfd", "--restart", "sequential")
	from := s.seen
	res := s.edits(2)
	if res.Failed() != 0 {
		t.Errorf("failed requests with sequential restarts: %v", res)
	}
	// Each old child exited before its successor started.
	exited, started := s.r.events(from, "child_exited"), s.r.events(from, "child_started")
	for i, pid := range s.pids[:len(s.pids)-1] {
		e, st := indexOf(s.r, from, "child_exited", pid), indexOf(s.r, from, "child_started", s.pids[i+1])
		if e < 0 || st < 0 || e > st {
			t.Errorf("child %d exited at line %d, its successor %d started at line %d (exits %v, starts %v)", pid, e, s.pids[i+1], st, exited, started)
		}
	}
	s.shutdown()
}

// indexOf returns the index of the first line from index from on with
// event=name and pid=pid, or -1.
func indexOf(p *reloaderProc, from int, name string, pid int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := from; i < len(p.lines); i++ {
		if logline.Is(p.lines[i], name, "pid="+strconv.Itoa(pid)) {
			return i
		}
	}
	return -1
}

func TestBrokenEditKeepsServing(t *testing.T) {
	t.Parallel()
	s := startSession(t, "listenfd")
	l := startLoad(s.url)
	waitServed(t, l, "version=v1 ", 30*time.Second)
	write(t, s.dir+"/broken.go", "package main\n\nfunc broken() { undefinedThing() }\n")
	failed, next := s.r.waitEvent(s.seen, "build_failed", buildWait)
	if failed["pid"] != strconv.Itoa(s.pids[0]) {
		t.Errorf("build failure names pid %s, want %d", failed["pid"], s.pids[0])
	}
	// The compiler's file:line reaches the user.
	s.r.waitLine(0, regexp.MustCompile(`broken\.go:3:\d+: undefined: undefinedThing`), time.Second)
	s.seen = next
	body, err := get(s.url)
	if err != nil || !regexp.MustCompile(fmt.Sprintf(`pid=%d\b`, s.pids[0])).MatchString(body) {
		t.Fatalf("after a failed build: %q %v, want the first child", body, err)
	}
	write(t, s.dir+"/broken.go", "package main\n")
	setVersion(t, s.dir, "v2")
	s.waitReady()
	waitServed(t, l, "version=v2 ", 30*time.Second)
	if res := l.Finish(); res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	s.shutdown()
}

func TestFailedStartKeepsServing(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "listenfd")
	l := startLoad(s.url)
	waitServed(t, l, "version=v1 ", 30*time.Second)
	setVersion(t, s.dir, "crash") // this version exits at start
	s.r.waitEvent(s.seen, "start_failed", buildWait, "pid="+strconv.Itoa(s.pids[0]))
	setVersion(t, s.dir, "v3")
	s.waitReady()
	waitServed(t, l, "version=v3 ", 30*time.Second)
	res := l.Finish()
	if res.Failed() != 0 {
		t.Errorf("failed requests: %v", res)
	}
	// The crash output reaches the user, prefixed.
	s.r.waitLine(0, regexp.MustCompile(`^\[app\] listenfd server: crashing at start as asked$`), time.Second)
	if n := res.Versions()["crash"]; n != 0 {
		t.Errorf("the crashing version served %d requests", n)
	}
	s.shutdown()
}

func TestSupervisorSIGKILLLeavesNoChild(t *testing.T) {
	t.Parallel()
	s := startSession(t, "listenfd")
	s.r.cmd.Process.Signal(syscall.SIGKILL)
	<-s.r.done
	waitGone(t, "child", s.pids[0])
}

// SIGHUP rebuilds and swaps (a go run command goes through the same build
// step; the edit tests run real go builds).
func TestSIGHUPForcesSwap(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "listenfd")
	from := s.seen
	s.r.cmd.Process.Signal(syscall.SIGHUP)
	if pid := s.waitReady(); pid == s.pids[0] {
		t.Errorf("SIGHUP swap kept pid %d", pid)
	}
	if len(s.r.events(from, "building")) == 0 {
		t.Error("SIGHUP did not rebuild")
	}
	waitPid(t, s.url, s.pids[1])
	s.shutdown()
}

func TestPlainCommandRestartsOnChange(t *testing.T) {
	t.Parallel()
	dir := writeApp(t, "stock")
	bin := dir + "/bin/server"
	buildApp(t, dir, bin)
	s := newSession(t, dir)
	s.r = startReloader(t, dir, "-l", s.addr, "--debounce", "20ms", "--ready-delay", "50ms", "--", bin)
	s.waitReady()
	if len(s.r.events(0, "building")) != 0 {
		t.Error("a plain command was built")
	}
	write(t, dir+"/extra.go", "package main\n")
	if pid := s.waitReady(); pid == s.pids[0] {
		t.Errorf("restart kept pid %d", pid)
	}
	waitPid(t, s.url, s.pids[1])
	s.shutdown()
}

// The README's first command: reloader in the repository root runs
// examples/hello from the root .reloader.toml. The port is overridden so
// the test does not depend on 8080 being free.
func TestRootConfigServesTheExample(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	// listenfd matches the inherited socket by address (or name): tell the
	// example which address reloader owns.
	r := startReloader(t, repoRoot(t), "-l", "http="+addr, "--watch=false", "--env", "ADDR="+addr)
	r.waitEvent(0, "child_ready", buildWait)
	body, err := get("http://" + addr + "/")
	if err != nil || !strings.HasPrefix(body, "hello from reloader version=") {
		t.Fatalf("GET / = %q, %v", body, err)
	}
	if strings.Contains(r.output(), "127.0.0.1:8080") {
		t.Error("the example bound its default address instead of the inherited socket")
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit code %d after SIGINT", code)
	}
}
