//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/reloader-dev/reloader/internal/loadgen"
	"github.com/reloader-dev/reloader/internal/logline"
)

// appSleep is the init the stock server's source sleeps before it
// listens; its init as it runs, the Go runtime's start included, is
// measured (measureInit).
const appSleep = 150 * time.Millisecond

// swapDebounce is reloader's debounce in this scenario: air runs with its
// smallest delay, so reloader gets a small one too (the default is 50ms).
const swapDebounce = "10ms"

// tool is one way of running the edited server.
type tool struct {
	label   string
	argv    func(addr string) []string
	env     func(addr string) []string
	files   map[string]string // extra files in the module
	stopSig syscall.Signal
}

func swapTools(e *env) []tool {
	rl := func(extra ...string) func(string) []string {
		return func(addr string) []string {
			a := []string{e.reloader, "--debounce", swapDebounce}
			if len(extra) == 0 || extra[0] != "--restart" {
				a = append(a, "-l", addr)
			}
			a = append(a, extra...)
			return append(a, "--", "go", "run", ".")
		}
	}
	bindsItself := func(addr string) []string { return []string{"ADDR=" + addr} }
	tools := []tool{
		{label: "reloader", argv: rl(), stopSig: syscall.SIGTERM},
		// Builds at the app's own priority, as before build.nice.
		{label: "reloader --build-nice=0", argv: rl("--build-nice=0"), stopSig: syscall.SIGTERM},
		{label: "reloader --steering=false", argv: rl("--steering=false"), stopSig: syscall.SIGTERM},
		// The app as people have it: it binds $ADDR itself, no -l; build
		// instrumentation hands its net.Listen reloader's socket.
		{label: "reloader, no -l: app binds its port (instrumented)", argv: func(string) []string {
			return []string{e.reloader, "--debounce", swapDebounce, "--", "go", "run", "."}
		}, env: bindsItself, stopSig: syscall.SIGTERM},
		{label: "naive: reloader --restart sequential, app binds", argv: rl("--restart", "sequential"), env: bindsItself, stopSig: syscall.SIGTERM},
	}
	if e.opts.NiceOnly {
		return tools[:2]
	}
	if e.air != "" {
		tools = append(tools, tool{
			label:   "air " + strings.TrimPrefix(airModule, "github.com/air-verse/air@"),
			argv:    func(string) []string { return []string{e.air, "-c", ".air.toml"} },
			env:     bindsItself,
			files:   map[string]string{".air.toml": airConfig},
			stopSig: syscall.SIGINT,
		})
	}
	return tools
}

// swapResult is one tool's run of the edit loop.
type swapResult struct {
	steady       loadStats
	edits        loadStats
	building     loadStats       // over the builds: each building line to its child_started (buildWindows)
	s2s          []time.Duration // save-to-serve per edit
	gapAfterSave time.Duration   // when the longest gap began, after its edit's save
	swapGap      time.Duration   // longest gap from swapBefore before to swapAfter after a new version's first response
	builds       []time.Duration // build_time from reloader's log, under load
	starts       []time.Duration // swap_time from reloader's log: child start to ready
	orphans      int             // processes left in the module after the tool stopped
	held         bool            // the port was still bound after the tool stopped
}

// A gap counts as the swap's when it falls between swapBefore before a new
// version's first response and swapAfter after it: that covers the new
// server's start and 150 ms init, a stop-then-start tool's refused window,
// and the old server's drain, but not the build before them.
const (
	swapBefore = 200 * time.Millisecond
	swapAfter  = 300 * time.Millisecond
)

// reloader's log is read by its stable event= attribute, never by message
// text: every supervisor line carries one.
var reBuildTime = regexp.MustCompile(`\bevent=swapped\b.*\bbuild_time=(\S+)`)

func swapScenario(ctx context.Context, e *env) (section, error) {
	// The steady window is about as long as the 20 builds together (20 s
	// against 20 × about 1.2 s): the longest gap is a maximum, and a maximum
	// over 3 s of samples is no yardstick for one over 24 s. Over 20 s
	// with no build at all, the longest gap on these 2 cores ranged from
	// 7.8 to 16 ms (three runs).
	edits, steady := 20, 20*time.Second
	if e.opts.Quick {
		edits, steady = 1, 300*time.Millisecond
	}
	sec := section{
		Name:  "swap",
		Title: "1. Swap under load",
		Intro: fmt.Sprintf("A stock net/http server (150 ms init, plain `Serve`, `Shutdown` on SIGTERM) edited %d times while 4 clients on 127.0.0.1 "+
			"send about 330 requests/s in total (half a new connection per request, half keep-alive). Each edit changes `const version`; the next edit "+
			"waits until the new version is served. Failures and latency are counted over the edits; *steady max* is the largest latency and *steady longest gap* the longest time with no answer over %v of load before the first edit "+
			"(the clients are spread evenly over their 12 ms pace, so answers arrive about every 3 ms and a gap measures the server, not the pacing). "+
			"reloader runs `go run .` with `--debounce %s` (air runs with `delay = 1`, the smallest it honours). The naive row is reloader stopping the old server before it starts the new one, "+
			"with the app binding the port itself, as air, CompileDaemon and reflex do.", edits, steady, swapDebounce),
		Header: []string{"tool", "requests", "failed (refused/reset/eof/timeout/other)", "p50", "p99", "max", "steady max", "steady longest gap", "longest gap", "longest gap at swap", "longest gap during builds", "p99 during builds", "save-to-serve median", "save-to-serve max", "left running"},
	}
	results := map[string]swapResult{}
	var lastDir, airLabel string
	for _, t := range swapTools(e) {
		if strings.HasPrefix(t.label, "air") {
			airLabel = t.label
		}
		e.opts.Log.Info("swap", "tool", t.label, "edits", edits)
		dir, r, err := runSwap(ctx, e, t, edits, steady)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", t.label, err)
		}
		lastDir = dir
		results[t.label] = r
		f := r.edits.failures
		left := "none"
		if r.orphans > 0 || r.held {
			left = fmt.Sprintf("%d processes, port held: %v", r.orphans, r.held)
		}
		sec.row(t.label, itoa(r.edits.requests),
			fmt.Sprintf("**%d** (%d/%d/%d/%d/%d)", r.edits.failed(), f["refused"], f["reset"], f["eof"], f["timeout"], f["other"]),
			ms(r.edits.p50), ms(r.edits.p99), ms(r.edits.max), ms(r.steady.max), ms(r.steady.gap), ms(r.edits.gap), ms(r.swapGap),
			ms(r.building.gap), ms(r.building.p99),
			ms(median(r.s2s)), ms(slices.Max(r.s2s)), left)
	}
	if e.air == "" && !e.opts.NiceOnly {
		sec.Notes = append(sec.Notes, e.airNote)
	}
	runs := 3
	if e.opts.Quick {
		runs = 1
	}
	e.opts.Log.Info("swap: timing the build alone", "runs", runs)
	plain, dev, err := measureBuilds(ctx, e, lastDir, runs)
	if err != nil {
		return sec, err
	}
	inits, err := measureInit(ctx, e, lastDir, 2*runs-1)
	if err != nil {
		return sec, err
	}
	appInit := median(inits)
	rel, full := results["reloader"], results["reloader --build-nice=0"]
	sec.Notes = append(sec.Notes, fmt.Sprintf("During builds (from each `event=building` line to the next `event=child_started`, as reloader wrote them; the new child's start is the swap's): with build.nice = 10 (the default) the longest gap was %s and p99 %s; "+
		"at the app's priority (--build-nice=0) %s and %s; steady longest gap %s and %s, steady max latency %s and %s.",
		ms(rel.building.gap), ms(rel.building.p99), ms(full.building.gap), ms(full.building.p99), ms(rel.steady.gap), ms(full.steady.gap), ms(rel.steady.max), ms(full.steady.max)))
	budget := median(dev) + appInit + 30*time.Millisecond
	sec.Notes = append(sec.Notes, fmt.Sprintf("Build alone, same edit, same run (median of %d): `go build` %s, reloader's dev profile %s. "+
		"App init, the same binary started alone %d times, its start to its READY=1 (median): %s, for its %s sleep.", runs, ms(median(plain)), ms(median(dev)), len(inits), ms(appInit), ms(appSleep)))
	// Split reloader's save-to-serve with its own log: the build, the new
	// child's start to ready (its 150 ms init), and the rest (debounce,
	// watcher, steering, the first new-version response).
	var rest []time.Duration
	if len(rel.builds) == len(rel.s2s) {
		for i := range rel.s2s {
			rest = append(rest, rel.s2s[i]-rel.builds[i]-rel.starts[i])
		}
		sec.Notes = append(sec.Notes, fmt.Sprintf("reloader's save-to-serve, split with its log (medians over the edits): build under load %s, new child's start to ready %s, the rest (debounce %s, watcher, steering, the first response) %s.",
			ms(median(rel.builds)), ms(median(rel.starts)), swapDebounce, ms(median(rest))))
	}
	sec.check("reloader: 0 failed requests", rel.edits.failed() == 0, "%d failed of %d", rel.edits.failed(), rel.edits.requests)
	sec.check("reloader: longest gap ≤ steady-state max latency", rel.edits.gap <= rel.steady.max,
		"gap %s, steady max %s%s", ms(rel.edits.gap), ms(rel.steady.max),
		ifMissed(rel.edits.gap <= rel.steady.max, fmt.Sprintf("; the longest gap falls during a build (it began %s after a save), when the compiler takes both cores from the clients and the server; at the swap itself the longest gap was %s",
			ms(rel.gapAfterSave), ms(rel.swapGap))))
	sec.check("reloader: longest gap during a build ≤ 2× steady-state longest gap (build.nice = 10)", rel.building.gap <= 2*rel.steady.gap,
		"gap %s, steady longest gap %s over %v (steady max latency %s); at the app's priority (--build-nice=0) gap %s, steady longest gap %s", ms(rel.building.gap), ms(rel.steady.gap), steady, ms(rel.steady.max), ms(full.building.gap), ms(full.steady.gap))
	sec.check("reloader: longest gap at a swap ≤ steady-state max latency", rel.swapGap <= rel.steady.max,
		"%s from %s before to %s after each new version's first response, steady max %s%s", ms(rel.swapGap), ms(swapBefore), ms(swapAfter), ms(rel.steady.max),
		ifMissed(rel.swapGap <= rel.steady.max, "; the window opens as the build ends, and the new server's exec and runtime start share the 2 cores with the clients and the old server"))
	sec.check("reloader: save-to-serve ≤ build alone + app init + 30 ms", median(rel.s2s) <= budget,
		"median %s, budget %s (build %s + init %s + 30 ms)%s", ms(median(rel.s2s)), ms(budget), ms(median(dev)), ms(appInit),
		ifMissed(median(rel.s2s) <= budget, fmt.Sprintf("; the new child's start to ready took %s against its %s init (the app's exec and runtime start, on a busy machine), "+
			"the builds under load ranged from %s to %s, and the rest was %s (see the notes)",
			ms(median(rel.starts)), ms(appInit), ms(minOr(rel.builds)), ms(maxOr(rel.builds)), ms(median(rest)))))
	if air, ok := results[airLabel]; ok {
		half := median(air.s2s) / 2
		sec.check("reloader: save-to-serve ≤ half of air's", median(rel.s2s) <= half,
			"reloader %s, air %s%s", ms(median(rel.s2s)), ms(median(air.s2s)),
			ifMissed(median(rel.s2s) <= half, "; both are dominated by the same compile and the same 150 ms init, which no supervisor can skip"))
	}
	return sec, nil
}

func ifMissed(met bool, why string) string {
	if met {
		return ""
	}
	return why
}

// runSwap runs the edit loop for one tool in a fresh module and returns
// the module dir and the result.
func runSwap(ctx context.Context, e *env, t tool, edits int, steady time.Duration) (string, swapResult, error) {
	var r swapResult
	files := map[string]string{"main.go": stockServer}
	for p, c := range t.files {
		files[p] = c
	}
	dir, err := e.newModule(ctx, "swap", files, false)
	if err != nil {
		return "", r, err
	}
	addr, err := freePort()
	if err != nil {
		return "", r, err
	}
	var extraEnv []string
	if t.env != nil {
		extraEnv = t.env(addr)
	}
	p, err := startProc(dir, extraEnv, t.argv(addr)...)
	if err != nil {
		return "", r, err
	}
	defer func() {
		if !p.stop(t.stopSig, 15*time.Second) {
			e.opts.Log.Warn("tool did not stop on its signal; killed", "tool", t.label)
		}
		killStrays(dir)
	}()
	url := "http://" + addr + "/"
	if err := waitServed(ctx, url, "v0", e.wait(90*time.Second)); err != nil {
		return "", r, fmt.Errorf("%w:%s", err, p.tail(20))
	}
	settle := 300 * time.Millisecond
	if e.opts.Quick {
		settle = 100 * time.Millisecond
	}
	l := loadgen.Start(url, loadgen.Options{Clients: 4, Interval: 12 * time.Millisecond, Timeout: 5 * time.Second})
	t0 := time.Now()
	if err := sleep(ctx, steady); err != nil {
		l.Finish()
		return "", r, err
	}
	t1 := time.Now()
	var saves []time.Time
	for i := 1; i <= edits; i++ {
		v := fmt.Sprintf("e%d", i)
		saved := time.Now()
		saves = append(saves, saved)
		if err := setVersion(dir, v); err != nil {
			l.Finish()
			return "", r, err
		}
		isV := func(body string) bool { got, ok := loadgen.VersionOf(body); return ok && got == v }
		if !l.Wait(ctx, time.Time{}, isV, e.wait(60*time.Second)) {
			l.Finish()
			return "", r, fmt.Errorf("version %s not served within 60s:%s", v, p.tail(20))
		}
		r.s2s = append(r.s2s, l.First(isV).Sub(saved))
		if err := sleep(ctx, settle); err != nil { // a developer does not save twice a second
			l.Finish()
			return "", r, err
		}
	}
	t2 := time.Now()
	all := l.Finish().Samples
	r.steady = summarise(all, t0, t1)
	r.edits = summarise(all, t1, t2)
	// The builds: from each event=building line to the next
	// event=child_started, as reloader wrote them; for a tool that logs
	// neither (air), from each save to swapBefore before its new version's
	// first response.
	builds := buildWindows(p, t1, t2)
	if len(builds) == 0 {
		for i, saved := range saves {
			if end := saved.Add(r.s2s[i] - swapBefore); end.After(saved) {
				builds = append(builds, [2]time.Time{saved, end})
			}
		}
	}
	r.building = summariseWindows(all, builds)
	e.opts.Log.Info("swap: longest gap during builds", "tool", t.label, "gap", r.building.gap,
		"waited", waitedIn(all, r.building.gapAt, r.building.gapAt.Add(r.building.gap)))
	for i, saved := range saves {
		served := saved.Add(r.s2s[i])
		end := served.Add(swapAfter)
		if end.After(t2) {
			end = t2
		}
		g, _ := longestGap(all, served.Add(-swapBefore), end)
		r.swapGap = max(r.swapGap, g)
	}
	for i := len(saves) - 1; i >= 0; i-- {
		if !saves[i].After(r.edits.gapAt) {
			r.gapAfterSave = r.edits.gapAt.Sub(saves[i])
			e.opts.Log.Info("swap: longest gap", "tool", t.label, "gap", r.edits.gap, "edit", i+1,
				"after_save", r.gapAfterSave.Round(time.Millisecond), "served_after", r.s2s[i].Round(time.Millisecond),
				"waited", waitedIn(all, r.edits.gapAt, r.edits.gapAt.Add(r.edits.gap)))
			break
		}
	}
	p.mu.Lock()
	for _, line := range p.lines {
		if !logline.Is(line.text, "swapped") {
			continue
		}
		if a := logline.Attrs(line.text); a["change"] != "start" {
			b, err1 := time.ParseDuration(a["build_time"])
			st, err2 := time.ParseDuration(a["swap_time"])
			if err1 == nil && err2 == nil {
				r.builds = append(r.builds, b)
				r.starts = append(r.starts, st)
			}
		}
	}
	p.mu.Unlock()
	p.stop(t.stopSig, 15*time.Second)
	time.Sleep(100 * time.Millisecond)
	r.orphans = len(strays(dir))
	r.held = portHeld(addr)
	return dir, r, nil
}

// waitServed polls url on fresh connections until a response carries
// version v.
func waitServed(ctx context.Context, url, v string, timeout time.Duration) error {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got, ok := loadgen.VersionOf(string(b)); ok && got == v {
				return nil
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s never served version %s within %v", url, v, timeout)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func minOr(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

func maxOr(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
