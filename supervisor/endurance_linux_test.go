package supervisor

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// socketFDs returns the fds s's sockets hold (two per socket): overlapping
// drains leave spare sockets in a steered group, bounded by how many
// drains overlapped, which are not a leak.
func socketFDs(s *Supervisor) int {
	if st, ok := s.srv.(steered); ok {
		return 2 * st.g.Held()
	}
	return 0
}

// settle waits until the goroutine count stops falling (children's waiters
// and copiers finish just after the exit is logged).
func settle() int {
	n := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		time.Sleep(10 * time.Millisecond) // goroutines exit on their own schedule
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}

// 100 swaps leave the supervisor's fds and goroutines where they were.
// The child is a trivial program taken as ready once started, so a swap
// costs little more than a fork and exec; drains overlap. The benchmark's
// endurance run (go run ./bench, docs/BENCHMARKS.md) makes 1,000 swaps of
// a reloader binary and reads its fds, threads and RSS from /proc.
// Not parallel: it counts the whole test process's fds and goroutines.
func TestManySwapsDoNotLeak(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	h := newHarness(t, config(func(c *Config) { c.Command, c.Ready, c.ReadyDelay = []string{sleep, "1000"}, ReadyDelay, 0 }))
	h.waitReady()
	swap := func() {
		h.s.Reload("test")
		h.waitReady()
	}
	for i := 0; i < 10; i++ {
		swap()
	}
	h.s.drains.Wait()
	fds0, gr0 := openFDs(t)-socketFDs(h.s), settle()
	const n = 100
	start := time.Now()
	for i := 0; i < n; i++ {
		swap()
	}
	h.s.drains.Wait()
	fds1, gr1 := openFDs(t)-socketFDs(h.s), settle()
	t.Logf("%d swaps in %v: fds %d -> %d, goroutines %d -> %d", n, time.Since(start).Round(time.Millisecond), fds0, fds1, gr0, gr1)
	if fds1 > fds0+4 {
		t.Errorf("fds grew from %d to %d over %d swaps", fds0, fds1, n)
	}
	if gr1 > gr0+8 {
		t.Errorf("goroutines grew from %d to %d over %d swaps", gr0, gr1, n)
	}
}
