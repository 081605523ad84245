package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// realEdits is how many edits each unmodified app is swapped through.
const realEdits = 10

// realApp writes testdata/realapps/NAME/main.go into a new module that
// requires gin, echo, chi, fiber and grpc (testdata/realapps/go.mod and
// go.sum, fetched through the module proxy), with "ADDR" and "ADDR2" in
// the source replaced by addrs. The app is not changed in any other way:
// no listenfd, no LISTEN_FDS, no $PORT.
func realApp(t *testing.T, name string, addrs ...string) string {
	t.Helper()
	from := filepath.Join("testdata", "realapps")
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, f), string(b))
	}
	b, err := os.ReadFile(filepath.Join(from, name, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	if len(addrs) > 1 {
		src = strings.ReplaceAll(src, `"ADDR2"`, strconv.Quote(addrs[1]))
	}
	src = strings.ReplaceAll(src, `"ADDR"`, strconv.Quote(addrs[0]))
	write(t, filepath.Join(dir, "main.go"), src)
	return dir
}

// startRealSession runs `reloader -- go run .` in the app's module, with no
// -l: the app binds its own address, and reloader takes it over.
func startRealSession(t *testing.T, name string) *session {
	t.Helper()
	s := newSession(t, "")
	s.dir = realApp(t, name, s.addr)
	s.r = startReloader(t, s.dir, "--debounce", "20ms", "--", "go", "run", ".")
	s.waitReady()
	return s
}

// readyAfterInit bounds how long after its own init (its start to its
// first listen, init_time) an app may be taken as ready (ready_time).
const readyAfterInit = 100 * time.Millisecond

// checkExactReadiness fails t unless every child was taken as ready by an
// exact rule (its first accept, /proc, READY=1), never by a delay, and,
// unless the machine is overloaded, within readyAfterInit of the end of
// its own init. It logs both times.
func checkExactReadiness(t *testing.T, s *session) {
	t.Helper()
	busy := overloaded(t)
	var times []string
	for _, a := range s.r.events(0, "child_ready") {
		if v := a["via"]; v == "" || strings.HasPrefix(v, "delay") {
			t.Errorf("child %s ready via %q, want an exact rule", a["pid"], v)
		}
		ready, err1 := time.ParseDuration(a["ready_time"])
		init, err2 := time.ParseDuration(a["init_time"])
		if err1 != nil || err2 != nil || init <= 0 {
			t.Errorf("child %s: ready_time=%q init_time=%q, want both", a["pid"], a["ready_time"], a["init_time"])
		} else if ready > init+readyAfterInit && !busy {
			t.Errorf("child %s ready %v after its start, its init took %v: want ready within %v of its init", a["pid"], ready, init, readyAfterInit)
		}
		times = append(times, a["via"]+":"+a["init_time"]+"/"+a["ready_time"])
	}
	t.Logf("ready (via:init/ready): %s", strings.Join(times, " "))
}

func TestUnmodifiedAppsSwapWithoutLoss(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"nethttp", "gin", "echo", "chi", "fiber"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := startRealSession(t, name)
			res := s.edits(realEdits)
			t.Logf("%s: %d edits: %v", name, realEdits, res)
			if res.Failed() != 0 {
				t.Errorf("%s: failed requests over %d edits: %v", name, realEdits, res)
			}
			if n := len(s.r.events(0, "start_failed")); n != 0 {
				t.Errorf("%s: %d new children failed to start", name, n)
			}
			checkExactReadiness(t, s)
			s.shutdown()
		})
	}
}

// An app with two listeners (API and metrics) gets both held by reloader
// and both served by each new generation.
func TestUnmodifiedAppTwoListeners(t *testing.T) {
	t.Parallel()
	s := newSession(t, "")
	metrics := freePort(t)
	s.dir = realApp(t, "twolisteners", s.addr, metrics)
	s.r = startReloader(t, s.dir, "--debounce", "20ms", "--", "go", "run", ".")
	s.waitReady()
	// The first accept on either address makes the app ready; the other
	// address exists once the app asks for it. Load both after that.
	for n, from := 0, 0; n < 2; {
		a, next := s.r.waitEvent(from, "listening", buildWait)
		if a["asked_by"] == "app" {
			n++
		}
		from = next
	}
	ml := startLoad("http://" + metrics + "/metrics")
	res := s.edits(realEdits)
	waitServed(t, ml, "version=v"+strconv.Itoa(realEdits+1)+" ", 30*time.Second)
	mres := ml.Finish()
	if res.Failed() != 0 || mres.Failed() != 0 {
		t.Errorf("failed requests: api %v; metrics %v", res, mres)
	}
	asked := 0
	for _, a := range s.r.events(0, "listening") {
		if a["asked_by"] == "app" {
			asked++
		}
	}
	if asked != 2 {
		t.Errorf("%d addresses taken over on the app's request, want 2 (api and metrics)", asked)
	}
	checkExactReadiness(t, s)
	s.shutdown()
}

// A stock gRPC server (grpc.NewServer on net.Listen, the standard health
// service, GracefulStop on SIGTERM) swapped through 10 edits under grpc-go
// clients, half of them on a new connection per call: no call fails.
func TestUnmodifiedGRPCServer(t *testing.T) {
	t.Parallel()
	load, out, err := serverBins.build(t, "grpcload", "grpcload", func(path string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-o", path, "./grpcload")
		cmd.Dir = filepath.Join("testdata", "realapps")
		return cmd
	})
	if err != nil {
		t.Fatalf("build grpcload: %v\n%s", err, out)
	}
	s := startRealSession(t, "grpc")
	cmd := exec.Command(load, s.addr)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("grpcload ended before %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
				if strings.HasPrefix(l, "error") {
					t.Log(l)
				}
			case <-timeout:
				t.Fatalf("no %q from grpcload within 60s", prefix)
			}
		}
	}
	next("seen v1")
	for i := 2; i <= realEdits+1; i++ {
		v := "v" + strconv.Itoa(i)
		setVersion(t, s.dir, v)
		s.waitReady()
		next("seen " + v)
	}
	stdin.Close()
	result := next("result ")
	for l := range lines {
		t.Log(l) // the distinct errors, if any
	}
	t.Logf("grpc: %d edits: %s", realEdits, result)
	if !strings.HasSuffix(result, " failed=0") {
		t.Errorf("failed gRPC calls over %d edits: %s", realEdits, result)
	}
	checkExactReadiness(t, s)
	s.shutdown()
}

// Behind --proxy, an unmodified app that binds a fixed port (the public
// one, as it would without reloader) and never reads $PORT is handed a
// private loopback socket when it listens, and serves every edit through
// the proxy. Without the hook it would fail to bind the proxy's port.
func TestUnmodifiedAppBehindProxy(t *testing.T) {
	t.Parallel()
	s := newSession(t, "")
	s.dir = realApp(t, "nethttp", s.addr)
	s.r = startReloader(t, s.dir, "--proxy", "-l", s.addr, "--debounce", "20ms", "--", "go", "run", ".")
	s.waitReady()
	res := s.edits(3)
	t.Logf("behind the proxy: 3 edits: %v", res)
	if res.Failed() != 0 {
		t.Errorf("failed requests behind the proxy: %v", res)
	}
	if n := len(s.r.events(0, "start_failed")); n != 0 {
		t.Errorf("%d new children failed to start", n)
	}
	s.shutdown()
}
