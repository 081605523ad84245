package supervisor

import (
	"os"
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

// Many swaps leave the supervisor's fds and goroutines where they were.
// (The benchmark's endurance run does 1,000 and reports RSS too.)
func TestManySwapsDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("50 swaps")
	}
	h := newHarness(t, Config{})
	h.waitReady()
	swap := func() {
		h.s.Reload("test")
		h.waitReady()
		h.log.wait(t, &h.logFrom, "child exited")
	}
	for i := 0; i < 5; i++ {
		swap()
	}
	fds0, gr0 := openFDs(t), settle()
	for i := 0; i < 50; i++ {
		swap()
	}
	fds1, gr1 := openFDs(t), settle()
	t.Logf("50 swaps: fds %d -> %d, goroutines %d -> %d", fds0, fds1, gr0, gr1)
	if fds1 > fds0+4 {
		t.Errorf("fds grew from %d to %d over 50 swaps", fds0, fds1)
	}
	if gr1 > gr0+8 {
		t.Errorf("goroutines grew from %d to %d over 50 swaps", gr0, gr1)
	}
}
