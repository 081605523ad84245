package supervisor

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
	"github.com/reloader-dev/reloader/internal/sockets"
)

// onDemandHarness runs the "ondemand" child with no -l, asking for n
// fresh loopback addresses, and returns them.
func onDemandHarness(t *testing.T, n int, set ...func(*Config)) (*harness, []string) {
	return onDemandHarnessListen(t, n, []Address{}, set...)
}

// onDemandHarnessListen is onDemandHarness with the -l addresses listen.
func onDemandHarnessListen(t *testing.T, n int, listen []Address, set ...func(*Config)) (*harness, []string) {
	t.Helper()
	var addrs []string
	for range n {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	cfg := DefaultConfig()
	cfg.Listen = listen
	cfg.onDemand = true
	cfg.Env = []string{onDemandEnv + "=" + strings.Join(addrs, ",")}
	for _, f := range set {
		f(&cfg)
	}
	h := newHarnessMode(t, cfg, "ondemand")
	t.Cleanup(func() {
		if t.Failed() {
			h.log.mu.Lock()
			defer h.log.mu.Unlock()
			for _, r := range h.log.recs {
				var b strings.Builder
				r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
				t.Logf("DEBUG %s %s%s", r.Time.Format("15:04:05.000"), r.Message, b.String())
			}
		}
	})
	return h, addrs
}

// servingInodes returns the inode of the serving socket of each address,
// and checks that those not in listen are marked as asked on demand.
func servingInodes(t *testing.T, s *Supervisor, listen []string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, ss := range s.Serving() {
		rc, err := ss.Conn.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		rc.Control(func(fd uintptr) { err = syscall.Fstat(int(fd), &st) })
		if err != nil {
			t.Fatal(err)
		}
		if ss.Asked == slices.Contains(listen, ss.Addr) {
			t.Errorf("%s: serving socket Asked=%v, want it only for addresses not given by -l %v", ss.Addr, ss.Asked, listen)
		}
		out[ss.Addr] = st.Ino
	}
	return out
}

// holds reports whether process pid has socket inode ino open.
func holds(t *testing.T, pid string, ino uint64) bool {
	t.Helper()
	n, err := strconv.Atoi(pid)
	if err != nil {
		t.Fatal(err)
	}
	return sockets.SocketInodes([]int{n})[ino]
}

// An unmodified app's two listeners get their sockets on demand: both
// addresses are held by reloader and served through 5 swaps under load
// with no failed request, each generation on a steered socket of its own,
// ready at its first accept.
func TestSocketsOnDemandSwapUnderLoad(t *testing.T) {
	t.Parallel()
	h, addrs := onDemandHarness(t, 2)
	testOnDemandSwaps(t, h, addrs, nil)
}

// Handouts of different lengths: a -l address in LISTEN_FDS and an
// address asked on demand, both served through the swaps.
func TestSocketsOnDemandNextToListen(t *testing.T) {
	t.Parallel()
	h, addrs := onDemandHarnessListen(t, 1, nil) // nil: the harness's -l web=127.0.0.1:0
	testOnDemandSwaps(t, h, addrs, []string{h.s.Addrs()[0].Addr})
}

// testOnDemandSwaps checks the first child, then swaps 5 times under load
// on the asked addresses and the -l ones (listen).
func testOnDemandSwaps(t *testing.T, h *harness, addrs, listen []string) {
	every := append(slices.Clip(addrs), listen...)
	// accept (the app's own message) or, for a child that also took a
	// -l socket, epoll (/proc), whichever comes first: both are exact.
	exact := func(via string) bool { return via == "accept" || len(listen) > 0 && via == "epoll" }
	ready := h.waitReady()
	if !exact(ready["via"]) {
		t.Errorf("first child ready via %q, want accept", ready["via"])
	}
	from := 0
	for range listen {
		if l := h.log.event(t, &from, "listening"); l["asked_by"] != "" {
			t.Errorf("-l address listed as asked: %v", l)
		}
	}
	for range addrs {
		l := h.log.event(t, &from, "listening")
		if l["asked_by"] != "app" || !strings.Contains(strings.Join(addrs, " "), l["addr"]) {
			t.Errorf("listening event %v, want asked_by=app and one of %v", l, addrs)
		}
	}
	prev := servingInodes(t, h.s, listen)
	if len(prev) != len(every) {
		t.Fatalf("serving %v, want both of %v", prev, addrs)
	}
	var loads []*loadgen.Load
	for _, a := range every {
		loads = append(loads, loadgen.Start("http://"+a+"/", loadgen.Options{}))
	}
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		for _, l := range loads {
			if !l.WaitOK(ctx, l.OK()+20, 30*time.Second) {
				t.Fatalf("swap %d: no progress under load", i)
			}
		}
		h.s.Reload("test")
		ready := h.waitReady()
		if !exact(ready["via"]) {
			t.Errorf("swap %d: ready via %q, want accept", i, ready["via"])
		}
		h.log.event(t, &h.logFrom, "child_exited")
		now := servingInodes(t, h.s, listen)
		for _, a := range every {
			if now[a] == 0 || now[a] == prev[a] {
				t.Errorf("swap %d: %s serves on inode %d, previous generation's %d; want a socket of its own", i, a, now[a], prev[a])
			}
			if !holds(t, ready["pid"], now[a]) {
				t.Errorf("swap %d: the new child (pid %s) does not hold the serving socket of %s", i, ready["pid"], a)
			}
		}
		prev = now
	}
	for i, l := range loads {
		a := every[i]
		if r := l.Finish(); r.Failed() > 0 || r.OK() == 0 {
			t.Errorf("%s: %v", a, r)
		} else {
			t.Logf("%s: %d requests, 0 failed", a, r.OK())
		}
	}
	if n := len(all[Listening](h)); n != len(every) {
		t.Errorf("%d listening events, want 2: later generations get the addresses without binding again", n)
	}
}

// A process outside the child's process group is refused.
func TestSocketRequestFromOutsiderRefused(t *testing.T) {
	t.Parallel()
	h, addrs := onDemandHarness(t, 1)
	ready := h.waitReady()
	path := filepath.Join(h.s.notifyDir, "listen-1")
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("listen tcp4 " + addrs[0])); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 64), make([]byte, 64)
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(buf[:n]); got != "no not your child" || oobn != 0 {
		t.Errorf("reply %q with %d bytes of control data, want \"no not your child\" and no fd", got, oobn)
	}
	w := h.log.wait(t, new(int), "refused a socket request from a process outside the child")
	if w["sender_pid"] != strconv.Itoa(os.Getpid()) || w["child_pid"] != ready["pid"] {
		t.Errorf("warning %v, want sender_pid=%d child_pid=%s", w, os.Getpid(), ready["pid"])
	}
	// A connection that never sends must not hold up the child's exit.
	idle, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	h.s.Reload("test")
	h.waitReady()
	stopping := h.log.event(t, &h.logFrom, "stopping")
	exited := h.log.event(t, &h.logFrom, "child_exited")
	t0, _ := time.Parse(time.RFC3339Nano, stopping["_time"])
	t1, _ := time.Parse(time.RFC3339Nano, exited["_time"])
	if d := t1.Sub(t0); d > requestWait/2 {
		t.Errorf("old child took %v from its stop signal to child_exited with an idle request connection open; want it not to wait for the exchange", d)
	}
}

// An instrumented app still busy in its init when its wait runs out (its
// threads run or wait for a CPU, as on a loaded machine) is not taken as
// ready by that wait: the wait for an accept (an app with no READY=1
// sender, run through sh) or the wait for READY=1 ("delay:silent-sender":
// the test binary links listenfd's sender and never sends). Its first
// accept decides.
func TestBusyInitIsNotReadyByAWait(t *testing.T) {
	t.Parallel()
	const wait, spin = 200 * time.Millisecond, 1500 * time.Millisecond
	for _, tc := range []struct {
		name    string
		command []string
	}{
		{"delay", []string{"/bin/sh", "-c", `exec "$0"`, os.Args[0]}},
		{"silent-sender", []string{os.Args[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, _ := onDemandHarness(t, 1, func(c *Config) {
				c.ReadyDelay = 0
				c.noAcceptWait = wait
				c.Command = tc.command
				c.Env = append(c.Env, onDemandSpinEnv+"="+spin.String())
			})
			ev := waitFor[ChildReady](t, h, nil)
			if ev.Via != "accept" || ev.ReadyTime < spin {
				t.Errorf("ready via %q after %v; want accept, after its %v busy init (the wait was %v)", ev.Via, ev.ReadyTime, spin, wait)
			}
		})
	}
}

// In auto mode an app given a socket on demand is ready at its first
// accept, however long its init takes after it asked: the ready delay no
// longer decides.
func TestHandedChildWaitsForAcceptNotDelay(t *testing.T) {
	t.Parallel()
	// The child asks well within the delay, and accepts well after it.
	// The delay is long enough for a start under a loaded -race run.
	const delay, slow = 4 * time.Second, 6 * time.Second
	h, _ := onDemandHarness(t, 1, func(c *Config) {
		c.ReadyDelay = delay
		// Through sh, whose binary links no READY=1 sender: the delay is
		// ReadyDelay, not the silent-sender wait.
		c.Command = []string{"/bin/sh", "-c", `exec "$0"`, os.Args[0]}
		c.Env = append(c.Env, onDemandSlowEnv+"="+slow.String())
	})
	ev := waitFor[ChildReady](t, h, nil)
	if ev.Via != "accept" || ev.ReadyTime < slow {
		t.Errorf("ready via %q after %v, want accept after at least %v (the app's init)", ev.Via, ev.ReadyTime, slow)
	}
	// Its init ended when it asked, at least slow before its accept.
	if ev.InitTime <= 0 || ev.InitTime > ev.ReadyTime-slow {
		t.Errorf("init_time %v with ready_time %v, want the time to its request: over 0 and at least %v before ready", ev.InitTime, ev.ReadyTime, slow)
	}
}
