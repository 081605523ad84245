//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

var (
	reBuilding    = regexp.MustCompile(`\bevent=building\b`)
	reAirBuilding = regexp.MustCompile(`building\.\.\.`)
	reRestarted   = regexp.MustCompile(`\bevent=build_restarted\b`)
	reOverflow    = regexp.MustCompile(`(?i)overflow`)
	reDeps        = regexp.MustCompile(`\bevent=watching_deps\b`)
)

// stormResult is one tool's response to a burst of file writes.
type stormResult struct {
	write     time.Duration // writing every file
	builds    int           // builds started for the burst
	restarted int           // of which reloader cancelled and restarted
	overflow  bool          // the kernel's event queue overflowed
	s2s       time.Duration // an edit after the burst, save to serve
	orphans   int
	held      bool
}

func stormScenario(ctx context.Context, e *env) (section, error) {
	files, quiet := 5000, 3*time.Second
	if e.opts.Quick {
		files, quiet = 200, time.Second
	}
	sec := section{
		Name:  "storm",
		Title: "3. Event storm",
		Intro: fmt.Sprintf("With the server running, %d small `.go` files are written at once into a new `./gen/` package that main does not import "+
			"(a code generator, a `git checkout`). Builds are counted from the tools' logs until %v pass without a new one; then one edit must be served. "+
			"reloader counts only changes in the directories of the packages the binary is built from (`go list -deps`), so the storm must start no build. "+
			"reloader runs with its default 50 ms debounce.", files, quiet),
		Header: []string{"tool", "files", "write time", "builds started", "edit afterwards served in", "left running after stop"},
	}
	type run struct {
		label string
		argv  []string
		env   func(string) []string
		files map[string]string
		re    *regexp.Regexp
		sig   syscall.Signal
	}
	runs := []run{{label: "reloader", re: reBuilding, sig: syscall.SIGTERM}}
	if e.air != "" {
		runs = append(runs, run{label: "air (default delay = 1000 ms)", argv: []string{e.air, "-c", ".air.toml"}, env: func(a string) []string { return []string{"ADDR=" + a} },
			files: map[string]string{".air.toml": strings.Replace(airConfig, "delay = 1\n", "", 1)}, re: reAirBuilding, sig: syscall.SIGINT})
		sec.Notes = append(sec.Notes, "air runs here with its default `delay` (1000 ms), not the `delay = 1` of the swap scenario: "+
			"with `delay = 1` a first run of this bench saw air start a build for nearly every one of the 5,000 files, "+
			"without waiting for the previous one to end (the load average on 2 cores passed 200), and not serve the edit made afterwards within 90 s.")
	} else {
		sec.Notes = append(sec.Notes, e.airNote)
	}
	var rel stormResult
	for _, r := range runs {
		e.opts.Log.Info("storm", "tool", r.label, "files", files)
		argv := r.argv
		res, err := runStorm(ctx, e, r.label, func(addr string) []string {
			if argv != nil {
				return argv
			}
			return []string{e.reloader, "-l", addr, "--", "go", "run", "."}
		}, r.env, r.files, r.re, r.sig, files, quiet)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", r.label, err)
		}
		if r.label == "reloader" {
			rel = res
		}
		left := "none"
		if res.orphans > 0 || res.held {
			left = fmt.Sprintf("%d processes, port held: %v", res.orphans, res.held)
		}
		served := "**not served** within 90 s"
		if res.s2s > 0 {
			served = ms(res.s2s)
		}
		sec.row(r.label, itoa(files), ms(res.write), fmt.Sprintf("**%d**", res.builds), served, left)
	}
	why := "; reloader watches only the directories of the packages the binary is built from (go list -deps), and gen is none of them"
	if rel.restarted > 0 {
		why += fmt.Sprintf(" (%d of them cancelled and restarted by the next writes)", rel.restarted)
	}
	sec.check("reloader: 0 builds for the storm", rel.builds == 0, "%d builds%s", rel.builds, ifMissed(rel.builds == 0, why))
	if rel.overflow {
		sec.Notes = append(sec.Notes, "reloader's watcher reported an inotify queue overflow during the storm and rescanned.")
	}
	sec.check("reloader: an edit afterwards is served", rel.s2s > 0, "served in %s", ms(rel.s2s))
	return sec, nil
}

func runStorm(ctx context.Context, e *env, label string, argv func(string) []string, envf func(string) []string,
	extra map[string]string, reBuild *regexp.Regexp, sig syscall.Signal, n int, quiet time.Duration) (stormResult, error) {
	var r stormResult
	files := map[string]string{"main.go": stockServer}
	for p, c := range extra {
		files[p] = c
	}
	dir, err := e.newModule(ctx, "storm-"+label, files, false)
	if err != nil {
		return r, err
	}
	addr, err := freePort()
	if err != nil {
		return r, err
	}
	var extraEnv []string
	if envf != nil {
		extraEnv = envf(addr)
	}
	p, err := startProc(dir, extraEnv, argv(addr)...)
	if err != nil {
		return r, err
	}
	defer func() {
		p.stop(sig, 15*time.Second)
		killStrays(dir)
	}()
	url := "http://" + addr + "/"
	if err := waitServed(ctx, url, "v0", e.wait(90*time.Second)); err != nil {
		return r, fmt.Errorf("%w:%s", err, p.tail(20))
	}
	if reBuild == reBuilding {
		// reloader: the storm must come once it knows the package set.
		if _, _, _, err := p.waitLine(ctx, 0, reDeps, e.wait(60*time.Second)); err != nil {
			return r, err
		}
	}
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return r, err
	}
	from := p.mark()
	start := time.Now()
	gen := filepath.Join(dir, "gen")
	if err := os.Mkdir(gen, 0o755); err != nil {
		return r, err
	}
	for i := range n {
		src := fmt.Sprintf("package gen\n\nconst C%d = %d\n", i, i)
		if err := os.WriteFile(filepath.Join(gen, fmt.Sprintf("f%05d.go", i)), []byte(src), 0o644); err != nil {
			return r, err
		}
	}
	r.write = time.Since(start)
	// Wait until quiet passes without a new build (reloader starts none;
	// air waits its 1 s delay, less than quiet, before its first).
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		m := p.mark()
		if err := sleep(ctx, quiet); err != nil {
			return r, err
		}
		if p.count(m, reBuild) == 0 {
			break
		}
	}
	r.builds = p.count(from, reBuild)
	r.restarted = p.count(from, reRestarted)
	r.overflow = p.count(from, reOverflow) > 0
	e.opts.Log.Info("storm: builds", "tool", label, "builds", r.builds, "restarted", r.restarted, "overflow", r.overflow, "write", r.write.Round(time.Millisecond))
	saved := time.Now()
	if err := setVersion(dir, "v1"); err != nil {
		return r, err
	}
	if err := waitServed(ctx, url, "v1", e.wait(90*time.Second)); err != nil {
		if ctx.Err() != nil {
			return r, err
		}
		e.opts.Log.Warn("storm: the edit after the storm was not served", "tool", label, "err", err)
	} else {
		r.s2s = time.Since(saved)
	}
	p.stop(sig, 15*time.Second)
	time.Sleep(100 * time.Millisecond)
	r.orphans = len(strays(dir))
	r.held = portHeld(addr)
	return r, nil
}
