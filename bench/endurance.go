//go:build linux

package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"time"
)

var (
	reChildReady  = regexp.MustCompile(`\bevent=child_ready\b`)
	reChildExited = regexp.MustCompile(`\bevent=child_exited\b`)
)

// usage is the supervisor's footprint at one moment.
type usage struct {
	fds     int
	threads int64
	rss     int64 // kB
}

func sampleUsage(pid int) usage {
	return usage{fds: procFDs(pid), threads: procStatus(pid, "Threads"), rss: procStatus(pid, "VmRSS")}
}

func enduranceScenario(ctx context.Context, e *env) (section, error) {
	swaps := 1000
	if e.opts.Quick {
		swaps = 20
	}
	sec := section{
		Name:  "endurance",
		Title: "5. Endurance",
		Intro: fmt.Sprintf("%d swaps of a trivial prebuilt child (it sends READY=1 and waits for SIGTERM), forced with SIGHUP: "+
			"`reloader --watch=false --ready notify -l 127.0.0.1:PORT -- ./idle`, each swap waited for until its `event=child_ready` line. "+
			"The supervisor's footprint is read from /proc after the first child is ready, halfway, and at the end once every old child has exited. "+
			"Goroutines are not visible from outside the process: the OS thread count (/proc/PID/status Threads) stands in for them.", swaps),
		Header: []string{"supervisor", "start", "halfway", "end"},
	}
	dir, err := e.newModule(ctx, "endurance", map[string]string{"main.go": idleServer}, false)
	if err != nil {
		return sec, err
	}
	bin := filepath.Join(dir, "idle")
	if err := e.goCmd(ctx, dir, nil, "build", "-o", bin, "."); err != nil {
		return sec, err
	}
	addr, err := freePort()
	if err != nil {
		return sec, err
	}
	p, err := startProc(dir, nil, e.reloader, "--watch=false", "--ready", "notify", "-l", addr, "--", bin)
	if err != nil {
		return sec, err
	}
	defer func() {
		p.stop(syscall.SIGTERM, 15*time.Second)
		killStrays(dir)
	}()
	_, _, next, err := p.waitLine(ctx, 0, reChildReady, time.Minute)
	if err != nil {
		return sec, err
	}
	if err := sleep(ctx, 200*time.Millisecond); err != nil {
		return sec, err
	}
	start := sampleUsage(p.pid())
	var mid usage
	var took []time.Duration
	for i := 1; i <= swaps; i++ {
		t0 := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			return sec, err
		}
		want := regexp.MustCompile(fmt.Sprintf(`\bevent=child_ready\b.*\bgen=%d\b`, i+1))
		var at time.Time
		if _, at, next, err = p.waitLine(ctx, next, want, 10*time.Second); err != nil {
			return sec, fmt.Errorf("swap %d: %w", i, err)
		}
		took = append(took, at.Sub(t0))
		if i == swaps/2 {
			mid = sampleUsage(p.pid())
		}
	}
	// Let every drain finish: one "child exited" per swap.
	for deadline := time.Now().Add(20 * time.Second); p.count(0, reChildExited) < swaps && time.Now().Before(deadline); {
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return sec, err
		}
	}
	if err := sleep(ctx, 200*time.Millisecond); err != nil {
		return sec, err
	}
	end := sampleUsage(p.pid())
	exited := p.count(0, reChildExited)
	sec.row("open fds", itoa(start.fds), itoa(mid.fds), itoa(end.fds))
	sec.row("OS threads (proxy for goroutines)", fmt.Sprint(start.threads), fmt.Sprint(mid.threads), fmt.Sprint(end.threads))
	sec.row("RSS", mb(start.rss), mb(mid.rss), mb(end.rss))
	sec.Notes = append(sec.Notes, fmt.Sprintf("SIGHUP to `child ready`: median %s, max %s over %d swaps; %d old children exited.",
		ms(median(took)), ms(slices.Max(took)), swaps, exited))
	// The first swaps warm the runtime up (heap, threads), so flat means no
	// growth over the second half.
	sec.Notes = append(sec.Notes, "Flat means no growth from halfway to the end: the first swaps grow the Go heap to its working size and start the runtime's threads, once.")
	sec.check("fds flat", end.fds <= mid.fds && end.fds <= start.fds, "%d at start, %d halfway, %d at the end", start.fds, mid.fds, end.fds)
	sec.check("threads flat", end.threads <= mid.threads+1, "%d at start, %d halfway, %d at the end", start.threads, mid.threads, end.threads)
	sec.check("RSS flat", end.rss <= mid.rss+1024, "%s at start, %s halfway, %s at the end (flat: ≤ 1 MB growth over the second half)", mb(start.rss), mb(mid.rss), mb(end.rss))
	sec.check("RSS ≤ 20 MB", end.rss*1024 <= 20e6, "%s at the end", mb(end.rss))
	if exited < swaps {
		sec.check("every old child exited", false, "%d of %d", exited, swaps)
	}
	return sec, nil
}
