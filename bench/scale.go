//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

var (
	reWatching = regexp.MustCompile(`\bevent=watching\b`)
	reAirRun   = regexp.MustCompile(`running\.\.\.`)
)

// treeSize is a generated tree: files spread evenly over dirs.
type treeSize struct{ files, dirs int }

// scaleResult is one tool at one tree size.
type scaleResult struct {
	ready time.Duration // process start to watcher ready
	build time.Duration
	rss   int64 // kB, after idling
	cpu   time.Duration
}

func scaleScenario(ctx context.Context, e *env) (section, error) {
	sizes, idle := []treeSize{{1000, 100}, {10000, 1000}, {50000, 5000}}, 10*time.Second
	if e.opts.Quick {
		sizes, idle = []treeSize{{200, 20}}, time.Second
	}
	sec := section{
		Name:  "scale",
		Title: "4. Watch scale",
		Intro: fmt.Sprintf("Generated trees of `.go` files (10 leaf packages per parent dir) in a module whose main package is tiny. *Watcher ready* is from process start "+
			"to reloader's `event=watching` line, logged once every directory is watched and before the first build starts (for air: to its first `building...` line). "+
			"*Build* is the first build (reloader's `build_time`; air: `building...` to `running...`). RSS is the supervisor's VmRSS after %v idle; CPU is its utime+stime over those %v.", idle, idle),
		Header: []string{"tool", "files", "dirs", "watcher ready", "build", "RSS", fmt.Sprintf("CPU over %v idle", idle)},
	}
	var largest, polled scaleResult
	pollAt := 10000
	if e.opts.Quick {
		pollAt = sizes[0].files
	}
	polls := hasPollFlag(ctx, e)
	for _, sz := range sizes {
		e.opts.Log.Info("scale", "files", sz.files, "dirs", sz.dirs)
		dir, ndirs, err := genTree(ctx, e, sz)
		if err != nil {
			return sec, err
		}
		r, err := runScale(ctx, e, dir, []string{e.reloader, "--", "go", "run", "."}, reWatching, reBuildTime, syscall.SIGTERM, idle)
		if err != nil {
			return sec, fmt.Errorf("reloader at %d files: %w", sz.files, err)
		}
		largest = r
		sec.row("reloader", itoa(sz.files), itoa(ndirs), ms(r.ready), ms(r.build), mb(r.rss), ms(r.cpu))
		if sz == sizes[len(sizes)-1] && e.air != "" {
			e.opts.Log.Info("scale: air", "files", sz.files)
			if err := writeFile(filepath.Join(dir, ".air.toml"), airConfig); err != nil {
				return sec, err
			}
			a, err := runScale(ctx, e, dir, []string{e.air, "-c", ".air.toml"}, reAirBuilding, reAirRun, syscall.SIGINT, idle)
			if err != nil {
				return sec, fmt.Errorf("air at %d files: %w", sz.files, err)
			}
			sec.row("air", itoa(sz.files), itoa(ndirs), ms(a.ready), ms(a.build), mb(a.rss), ms(a.cpu))
		}
		if sz.files == pollAt && polls {
			e.opts.Log.Info("scale: reloader polling", "files", sz.files)
			polled, err = runScale(ctx, e, dir, []string{e.reloader, "--poll", "--poll-interval", "500ms", "--", "go", "run", "."}, reWatching, reBuildTime, syscall.SIGTERM, idle)
			if err != nil {
				return sec, fmt.Errorf("reloader polling at %d files: %w", sz.files, err)
			}
			sec.row("reloader, polling every 500ms", itoa(sz.files), itoa(ndirs), ms(polled.ready), ms(polled.build), mb(polled.rss), ms(polled.cpu))
		}
		os.RemoveAll(dir)
	}
	if !polls {
		sec.row("reloader, polling", itoa(pollAt), "—", "not implemented", "—", "—", "—")
		sec.Notes = append(sec.Notes, "`reloader --help` shows no polling flag: polling (for network and container mounts without inotify) is not implemented yet.")
	} else {
		sec.check(fmt.Sprintf("reloader polling at %d files: idle CPU ≤ 5%% of a core", pollAt), polled.cpu <= idle/20,
			"%s over %v (%.1f%% of a core)", ms(polled.cpu), idle, 100*polled.cpu.Seconds()/idle.Seconds())
	}
	if e.air == "" {
		sec.Notes = append(sec.Notes, e.airNote)
	}
	top := sizes[len(sizes)-1]
	at := fmt.Sprintf("at %d files", top.files)
	sec.check("reloader "+at+": watcher ready ≤ 200 ms beyond the build", largest.ready <= 200*time.Millisecond,
		"watcher ready %s after start (the build, %s, starts after it)%s", ms(largest.ready), ms(largest.build),
		ifMissed(largest.ready <= 200*time.Millisecond, "; one inotify_add_watch per directory plus the directory walk"))
	sec.check("reloader "+at+": RSS ≤ 25 MB", largest.rss*1024 <= 25e6, "%s", mb(largest.rss))
	sec.check("reloader "+at+": idle CPU about 0", largest.cpu <= idle/200, "%s over %v (≤ 0.5%% counts as about 0)", ms(largest.cpu), idle)
	return sec, nil
}

// genTree writes a module with the idle server and sz.files files in
// sz.dirs leaf dirs, ten leaves per parent. It returns the dir and the
// number of directories under gen/, counting gen itself.
func genTree(ctx context.Context, e *env, sz treeSize) (string, int, error) {
	dir, err := e.newModule(ctx, fmt.Sprintf("scale-%d", sz.files), map[string]string{"main.go": idleServer}, false)
	if err != nil {
		return "", 0, err
	}
	per := max(1, sz.files/sz.dirs)
	ndirs := 1
	for d := range sz.dirs {
		if d%10 == 0 {
			ndirs++
		}
		leaf := filepath.Join(dir, "gen", fmt.Sprintf("g%04d", d/10), fmt.Sprintf("d%05d", d))
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return "", 0, err
		}
		ndirs++
		for f := range per {
			src := fmt.Sprintf("package d%05d\n\nconst C%d = %d\n", d, f, f)
			if err := os.WriteFile(filepath.Join(leaf, fmt.Sprintf("f%03d.go", f)), []byte(src), 0o644); err != nil {
				return "", 0, err
			}
		}
	}
	return dir, ndirs, nil
}

// runScale starts argv in dir and measures it: process start to the line
// matching reReady, then the build (up to reBuilt), then RSS and CPU over
// idle. reBuilt's first submatch, if any, is a duration to report as the
// build; otherwise the time from ready to the reBuilt line is.
func runScale(ctx context.Context, e *env, dir string, argv []string, reReady, reBuilt *regexp.Regexp, sig syscall.Signal, idle time.Duration) (scaleResult, error) {
	var r scaleResult
	p, err := startProc(dir, nil, argv...)
	if err != nil {
		return r, err
	}
	defer func() {
		p.stop(sig, 15*time.Second)
		killStrays(dir)
	}()
	_, readyAt, next, err := p.waitLine(ctx, 0, reReady, 2*time.Minute)
	if err != nil {
		return r, err
	}
	r.ready = readyAt.Sub(p.started)
	m, builtAt, _, err := p.waitLine(ctx, next, reBuilt, 2*time.Minute)
	if err != nil {
		return r, err
	}
	r.build = builtAt.Sub(readyAt)
	if len(m) > 1 {
		if d, err := time.ParseDuration(m[1]); err == nil {
			r.build = d
		}
	}
	if err := sleep(ctx, time.Second); err != nil {
		return r, err
	}
	c0, err := procCPU(p.pid())
	if err != nil {
		return r, err
	}
	if err := sleep(ctx, idle); err != nil {
		return r, err
	}
	c1, err := procCPU(p.pid())
	if err != nil {
		return r, err
	}
	r.cpu = c1 - c0
	r.rss = procStatus(p.pid(), "VmRSS")
	return r, nil
}

// hasPollFlag reports whether `reloader --help` mentions polling.
func hasPollFlag(ctx context.Context, e *env) bool {
	out, _ := exec.CommandContext(ctx, e.reloader, "--help").CombinedOutput()
	return strings.Contains(strings.ToLower(string(out)), "poll")
}
