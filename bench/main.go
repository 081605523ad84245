//go:build linux

// Command bench measures reloader against the tools users run today: swaps
// under load, build speed, event storms, watch scale, endurance and
// save-to-browser through the live-reload proxies. It builds
// reloader from this checkout, runs it as a real process against generated
// modules in a temp dir, prints a table and writes docs/BENCHMARKS.md.
//
//	go run ./bench                       # everything, under 10 minutes
//	go run ./bench -quick -out /tmp/b.md # a smoke run
//	go run ./bench -scenarios swap,build
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// scenarioList names the scenarios in the order they run.
const scenarioList = "swap,build,storm,scale,endurance,browser"

// options are the program's inputs.
type options struct {
	Quick     bool
	Out       string
	Scenarios []string
	NoAir     bool // skip the air baselines
	NiceOnly  bool // swap: only reloader with and without build.nice
	Repo      string
	Log       *slog.Logger
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		os.Exit(2)
	}
	if _, err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scen string
	fs.BoolVar(&o.Quick, "quick", false, "smoke run: tiny counts, no timing targets")
	fs.StringVar(&o.Out, "out", "docs/BENCHMARKS.md", "write the report here (relative to the repo root); empty: do not write")
	fs.StringVar(&scen, "scenarios", scenarioList, "comma-separated scenarios to run")
	fs.BoolVar(&o.NoAir, "no-air", false, "skip the air baselines")
	fs.BoolVar(&o.NiceOnly, "nice-only", false, "swap: run only reloader and reloader --build-nice=0 (the build priority's effect), no air")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(","+scenarioList+",", ","+s+",") {
			fmt.Fprintf(stderr, "bench: unknown scenario %q (want some of %s)\n", s, scenarioList)
			return o, fmt.Errorf("unknown scenario %q", s)
		}
		o.Scenarios = append(o.Scenarios, s)
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	return o, nil
}

// run runs the selected scenarios, prints the tables to stdout and writes
// the report. It returns the sections it measured.
func run(ctx context.Context, o options, stdout io.Writer) ([]section, error) {
	if o.Repo == "" {
		root, err := findRepo()
		if err != nil {
			return nil, err
		}
		o.Repo = root
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	e, err := newEnv(ctx, o)
	if err != nil {
		return nil, err
	}
	defer e.close()
	started := time.Now()
	host := machineInfo()
	var secs []section
	for _, name := range o.Scenarios {
		if err := ctx.Err(); err != nil {
			return secs, err
		}
		o.Log.Info("scenario", "name", name)
		t0 := time.Now()
		sec, err := runScenario(ctx, e, name)
		if err != nil {
			return secs, fmt.Errorf("%s: %w", name, err)
		}
		sec.Took = time.Since(t0)
		secs = append(secs, sec)
		printSection(stdout, sec)
	}
	rep := report{Machine: host, Go: e.goVersion, Date: started, Took: time.Since(started), Quick: o.Quick, Sections: secs}
	if o.Out != "" {
		if err := rep.write(o.Repo, o.Out); err != nil {
			return secs, err
		}
		o.Log.Info("wrote report", "path", o.Out)
	}
	return secs, nil
}

func runScenario(ctx context.Context, e *env, name string) (section, error) {
	switch name {
	case "swap":
		return swapScenario(ctx, e)
	case "build":
		return buildScenario(ctx, e)
	case "storm":
		return stormScenario(ctx, e)
	case "scale":
		return scaleScenario(ctx, e)
	case "endurance":
		return enduranceScenario(ctx, e)
	case "browser":
		return browserScenario(ctx, e)
	}
	return section{}, fmt.Errorf("unknown scenario %q", name)
}
