//go:build linux

package main

import (
	"slices"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
	"github.com/reloader-dev/reloader/internal/logline"
)

// loadStats summarises the samples that started in a window.
type loadStats struct {
	requests int
	failures map[string]int
	p50, p99 time.Duration
	max      time.Duration
	gap      time.Duration // longest time without a successful response
	gapAt    time.Time     // when it began
}

func (s loadStats) failed() int {
	n := 0
	for _, c := range s.failures {
		n += c
	}
	return n
}

func summarise(all []loadgen.Sample, from, to time.Time) loadStats {
	st := loadStats{failures: map[string]int{}}
	var lats []time.Duration
	for _, s := range all {
		if s.Start.Before(from) || !s.Start.Before(to) {
			continue
		}
		st.requests++
		if s.Kind != "" {
			st.failures[s.Kind]++
			continue
		}
		lats = append(lats, s.Latency)
	}
	st.gap, st.gapAt = longestGap(all, from, to)
	if len(lats) == 0 {
		return st
	}
	slices.Sort(lats)
	st.p50 = lats[len(lats)/2]
	st.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	st.max = lats[len(lats)-1]
	return st
}

// longestGap returns the longest time within [from, to] in which no
// successful response arrived, and when it began.
func longestGap(all []loadgen.Sample, from, to time.Time) (time.Duration, time.Time) {
	var ends []time.Time
	for _, s := range all {
		if e := s.End(); s.Kind == "" && e.After(from) && e.Before(to) {
			ends = append(ends, e)
		}
	}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	at, prev := from, from
	for _, e := range append(ends, to) {
		if d := e.Sub(prev); d > gap {
			gap, at = d, prev
		}
		prev = e
	}
	return gap, at
}

// summariseWindows is summarise over the samples that started in any of
// the windows [from, to]; gap and gapAt are the longest gap within one.
func summariseWindows(all []loadgen.Sample, windows [][2]time.Time) loadStats {
	var in []loadgen.Sample
	var gap time.Duration
	var gapAt time.Time
	for _, w := range windows {
		for _, s := range all {
			if !s.Start.Before(w[0]) && s.Start.Before(w[1]) {
				in = append(in, s)
			}
		}
		if g, at := longestGap(all, w[0], w[1]); g > gap {
			gap, gapAt = g, at
		}
	}
	if len(in) == 0 {
		return loadStats{failures: map[string]int{}, gap: gap, gapAt: gapAt}
	}
	st := summarise(in, time.Time{}, time.Unix(1<<40, 0))
	st.gap, st.gapAt = gap, gapAt
	return st
}

// waitedIn returns how long within [from, to] some request was sent and
// not yet answered: a gap the server made is waited through, while a gap
// in which the load generator itself sent nothing (it was not scheduled)
// is not.
func waitedIn(all []loadgen.Sample, from, to time.Time) time.Duration {
	var spans [][2]time.Time
	for _, s := range all {
		a, b := s.Start, s.End()
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if a.Before(b) {
			spans = append(spans, [2]time.Time{a, b})
		}
	}
	slices.SortFunc(spans, func(x, y [2]time.Time) int { return x[0].Compare(y[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, sp := range spans {
		switch {
		case i == 0:
			cur = sp
		case !sp[0].After(cur[1]):
			if sp[1].After(cur[1]) {
				cur[1] = sp[1]
			}
		default:
			total += cur[1].Sub(cur[0])
			cur = sp
		}
	}
	if len(spans) > 0 {
		total += cur[1].Sub(cur[0])
	}
	return total
}

// buildWindows returns the builds in p's log between from and to: each
// event=building line to the next event=child_started, by when the lines
// were read. A build restarted by a change runs from its first line.
func buildWindows(p *proc, from, to time.Time) [][2]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out [][2]time.Time
	var start time.Time
	for _, l := range p.lines {
		if l.at.Before(from) || l.at.After(to) {
			continue
		}
		switch {
		case logline.Is(l.text, "building") && start.IsZero():
			start = l.at
		case logline.Is(l.text, "child_started") && !start.IsZero():
			out = append(out, [2]time.Time{start, l.at})
			start = time.Time{}
		}
	}
	return out
}
