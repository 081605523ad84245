//go:build unix

package supervisor

import (
	"syscall"
	"testing"
	"time"
)

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCrashLoopBacksOff(t *testing.T) {
	h := newHarnessMode(t, config(func(c *Config) {
		c.RestartOnCrash, c.CrashBackoff, c.CrashBackoffMax = true, 20*time.Millisecond, 2*time.Second
	}), "exit")
	cpu0, wall0 := cpuTime(t), time.Now()
	// From each crash record to the next start, as the supervisor logged them.
	var gaps []time.Duration
	var backoffs []string
	var lastCrash time.Time
	stamp := func(attrs map[string]string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, attrs["_time"])
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for len(backoffs) < 7 {
		started := h.log.wait(t, &h.logFrom, "child started")
		if !lastCrash.IsZero() {
			gaps = append(gaps, stamp(started).Sub(lastCrash))
		}
		crash := h.log.wait(t, &h.logFrom, "child crashed; restarting after backoff")
		backoffs = append(backoffs, crash["backoff"])
		lastCrash = stamp(crash)
	}
	cpu, wall := cpuTime(t)-cpu0, time.Since(wall0)
	want := []string{"20ms", "40ms", "80ms", "160ms", "320ms", "640ms", "1.28s"}
	for i := range want {
		if backoffs[i] != want[i] {
			t.Errorf("backoff %d = %s, want %s (all: %v)", i+1, backoffs[i], want[i], backoffs)
		}
	}
	for i, gap := range gaps {
		if want, _ := time.ParseDuration(backoffs[i]); gap < want {
			t.Errorf("restart %d came %v after the crash, before its backoff %v", i+1, gap, want)
		}
	}
	// Start-up noise (a fork of this race-built binary) is tens of ms; the
	// backoff dominates the later intervals, which must have grown.
	if first, last := gaps[0], gaps[len(gaps)-1]; last <= first {
		t.Errorf("restart intervals did not grow: first %v, last %v (all %v)", first, last, gaps)
	}
	// The test binary ran the supervisor and six short-lived children's
	// forks; a spinning loop would burn a core for the whole wall time.
	if cpu > wall/2 {
		t.Errorf("supervisor used %v CPU over %v of crash loop", cpu, wall)
	}
	t.Logf("crash loop: %v CPU over %v wall; backoffs %v", cpu, wall, backoffs)
}
