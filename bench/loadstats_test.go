//go:build linux

package main

import (
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
)

// summariseWindows counts only the samples inside the windows, and its
// longest gap is the longest within one window, not between two.
func TestSummariseWindows(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var all []loadgen.Sample
	for _, ms := range []int{0, 10, 20, 50, 60, 500, 1000, 1010, 1020, 1025} { // 1 ms each
		all = append(all, loadgen.Sample{Start: at(ms), Latency: time.Millisecond})
	}
	all = append(all, loadgen.Sample{Start: at(1015), Latency: 9 * time.Millisecond}) // the slowest, in window 2
	st := summariseWindows(all, [][2]time.Time{{at(0), at(70)}, {at(1000), at(1030)}})
	if st.requests != 10 {
		t.Errorf("requests = %d, want 10 (the sample at 500 ms is outside)", st.requests)
	}
	if st.gap != 30*time.Millisecond || !st.gapAt.Equal(at(21)) {
		t.Errorf("gap %v at %v, want 30ms at 21ms (the gap between the windows does not count)", st.gap, st.gapAt.Sub(t0))
	}
	if st.max != 9*time.Millisecond || st.p99 != 9*time.Millisecond {
		t.Errorf("max %v, p99 %v; want 9ms", st.max, st.p99)
	}
}

// buildWindows pairs each build's first building line (a restarted build
// keeps its start) with the next child_started, inside [from, to] only.
func TestBuildWindows(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(2000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	p := &proc{}
	for _, l := range []struct {
		ms   int
		text string
	}{
		{0, "level=INFO msg=building event=building change=start gen=1"},
		{900, `level=INFO msg="child started" event=child_started pid=1 gen=1`},
		{1000, "level=INFO msg=building event=building change=main.go gen=2"},
		{1100, "level=INFO msg=building event=building change=main.go gen=3"},
		{1900, `level=INFO msg="child started" event=child_started pid=2 gen=3`},
		{2000, `level=INFO msg=swapped event=swapped gen=3`},
		{3000, "level=INFO msg=building event=building change=main.go gen=4"},
		{3800, `level=INFO msg="child started" event=child_started pid=3 gen=4`},
	} {
		p.lines = append(p.lines, logLine{at: at(l.ms), text: l.text})
	}
	got := buildWindows(p, at(950), at(5000))
	want := [][2]time.Time{{at(1000), at(1900)}, {at(3000), at(3800)}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("windows %v, want %v", got, want)
	}
}

func TestWaitedInCountsOnlyTimeWithARequestOut(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	ms := time.Millisecond
	all := []loadgen.Sample{
		{Start: t0, Latency: 10 * ms},              // 0-10
		{Start: t0.Add(5 * ms), Latency: 10 * ms},  // 5-15, overlaps
		{Start: t0.Add(40 * ms), Latency: 20 * ms}, // 40-60, past to: clipped at 50
	}
	if got := waitedIn(all, t0, t0.Add(50*ms)); got != 25*ms {
		t.Errorf("waitedIn = %v, want 25ms (0-15 and 40-50; nothing out for 25ms between)", got)
	}
	if got := waitedIn(all, t0.Add(20*ms), t0.Add(30*ms)); got != 0 {
		t.Errorf("waitedIn over an idle span = %v, want 0", got)
	}
}
