package supervisor

import (
	"testing"
	"testing/synctest"
	"time"
)

// An app that binds its own port: the first new child fails next to the
// old one, the loop says so once, stops the old child and starts the same
// edit again, which serves. Every later edit stops first, with no second
// failure and no second explanation.
func TestLoopFallsBackToSequentialOnAddrInUse(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		for gen := 1; gen <= 4; gen++ {
			f.binds[gen] = "127.0.0.1:18301"
		}
		r := startLoop(t, nil, f)
		time.Sleep(2 * time.Second)
		r.reload("a.go")
		time.Sleep(2 * time.Second)
		wantEq(t, "events", r.names("building"), []string{
			"child_started", "child_ready", "swapped",
			"child_started", "sequential_fallback", "child_started", "child_ready", "swapped",
		})
		fb := all[SequentialFallback](r)
		if len(fb) != 1 {
			t.Fatalf("%d sequential_fallback events after the first edit, want 1", len(fb))
		}
		if fb[0].Gen != 2 || fb[0].PID != 1001 || fb[0].Addr != "127.0.0.1:18301" {
			t.Errorf("sequential_fallback = %+v, want gen 2, pid 1001, 127.0.0.1:18301", fb[0])
		}
		sw := all[Swapped](r)
		if sw[1].Gen != 2 || sw[1].Change != "a.go" || sw[1].OldPID != 1001 || sw[1].NewPID != 1002 {
			t.Errorf("swap = %+v, want gen 2 for a.go, 1001 -> 1002", sw[1])
		}
		wantEq(t, "stopped", f.stopped, []int{1001})
		for _, change := range []string{"b.go", "c.go"} {
			r.reload(change)
			time.Sleep(2 * time.Second)
		}
		r.stop(t)
		if n := len(all[SequentialFallback](r)); n != 1 {
			t.Errorf("%d sequential_fallback events, want exactly 1", n)
		}
		if n := len(all[StartFailed](r)); n != 0 {
			t.Errorf("%d start_failed events, want none: every edit serves", n)
		}
		sw = all[Swapped](r)
		if len(sw) != 4 || sw[3].Change != "c.go" || sw[3].OldPID != 1003 || sw[3].NewPID != 1004 {
			t.Errorf("swaps = %+v, want 4, the last c.go 1003 -> 1004", sw)
		}
		// Sequential: each old child stopped before its successor started.
		wantEq(t, "stopped", f.stopped, []int{1001, 1002, 1003, 1004})
		for gen := 2; gen <= 4; gen++ {
			if old, c := f.children[gen-1], f.children[gen]; c.started.Before(old.started.Add(f.readyTime)) {
				t.Errorf("gen %d started while gen %d still served", gen, gen-1)
			}
		}
	})
}

// A start that fails for another reason, or with nothing serving, keeps
// the overlapping restarts.
func TestLoopNoFallbackWithoutAHolder(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		f.badStart[2] = true
		r := startLoop(t, nil, f)
		time.Sleep(2 * time.Second)
		r.reload("crashes.go")
		time.Sleep(2 * time.Second)
		r.reload("fixed.go")
		time.Sleep(2 * time.Second)
		r.stop(t)
		if has[SequentialFallback](r) {
			t.Error("sequential_fallback after a start that failed for another reason")
		}
		if sw := all[Swapped](r); len(sw) != 2 || sw[1].OldPID != 1001 || sw[1].NewPID != 1003 {
			t.Errorf("swaps = %+v, want 1001 -> 1003 overlapped", sw)
		}
	})
}

// heldBy decides from the app's message and the old group's listeners.
func TestHeldBy(t *testing.T) {
	t.Parallel()
	held := map[uint16]string{8080: "127.0.0.1:8080", 9090: "[::]:9090"}
	own := map[uint16]bool{7000: true}
	for _, tc := range []struct {
		name, line string
		held       map[uint16]string
		own        map[uint16]bool
		want       string
		ok         bool
	}{
		{"go", "listen tcp 127.0.0.1:8080: bind: address already in use", held, nil, "127.0.0.1:8080", true},
		{"go any host", "2026/12/01 22:55:49 listen tcp :9090: bind: address already in use", held, nil, "[::]:9090", true},
		{"node", "Error: listen EADDRINUSE: address already in use :::8080", held, nil, "127.0.0.1:8080", true},
		{"ruby", `Address already in use - bind(2) for "127.0.0.1" port 8080`, held, nil, "127.0.0.1:8080", true},
		{"python names no port", "OSError: [Errno 98] Address already in use", held, nil, "127.0.0.1:8080", true},
		{"another port", "listen tcp 127.0.0.1:5432: bind: address already in use", held, nil, "", false},
		{"old group listens nowhere", "OSError: [Errno 98] Address already in use", map[uint16]string{}, nil, "", false},
		{"reloader's own port", "listen tcp 127.0.0.1:7000: bind: address already in use", map[uint16]string{7000: "127.0.0.1:7000"}, own, "", false},
		{"only reloader's port held", "OSError: [Errno 98] Address already in use", map[uint16]string{7000: "127.0.0.1:7000"}, own, "", false},
		{"timestamp is no port", "12:30:05 Address already in use", map[uint16]string{30: "127.0.0.1:30", 5: "127.0.0.1:5"}, nil, "127.0.0.1:5", true},
		{"no lookup, port named", "listen tcp 127.0.0.1:8080: bind: address already in use", nil, nil, ":8080", true},
		{"no lookup, reloader's port", "listen tcp 127.0.0.1:7000: bind: address already in use", nil, own, "", false},
	} {
		got, ok := heldBy(tc.line, tc.held, tc.own)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: heldBy(%q) = %q, %v; want %q, %v", tc.name, tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

// A new child taken as ready (the ready delay) before it failed to bind
// the port the old child held is not left unserved: once it exits having
// printed "address already in use", the loop falls back to sequential
// restarts and starts the app again after the old child is gone.
func TestLoopFallsBackWhenReadyChildFailsToBind(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r := startLoop(t, nil, f)
		time.Sleep(2 * time.Second)
		f.stopTime = 3 * time.Second // the old child still stops when the new one fails
		r.reload("a.go")
		time.Sleep(time.Second + f.readyTime + time.Millisecond) // 1002 promoted, 1001 stopping
		c := f.child(2)
		line := "OSError: [Errno 98] Address already in use"
		c.inUseLine.Store(&line)
		c.addrInUse.Store(true)
		f.crash(2)
		synctest.Wait()
		time.Sleep(5 * time.Second)
		fb := all[SequentialFallback](r)
		if len(fb) != 1 || fb[0].Gen != 2 || fb[0].PID != 1001 {
			t.Fatalf("sequential_fallback = %+v, want one for gen 2 beside 1001", fb)
		}
		if has[Crashed](r) {
			t.Error("crashed reported for a child that failed to bind beside the old one")
		}
		if c3 := f.child(3); c3 == nil || c3.started.Before(f.child(1).started.Add(2*time.Second+f.stopTime)) {
			t.Fatalf("gen 3 did not start after 1001 was gone")
		}
		sw := all[Swapped](r)
		if len(sw) != 3 || sw[2].NewPID != 1003 {
			t.Fatalf("swaps = %+v, want gen 3 serving after the fallback", sw)
		}
		r.reload("b.go")
		time.Sleep(5 * time.Second)
		r.stop(t)
		wantEq(t, "stopped", f.stopped, []int{1001, 1003, 1004})
		if n := len(all[SequentialFallback](r)); n != 1 {
			t.Errorf("%d sequential_fallback events, want 1", n)
		}
	})
}
