//go:build linux

package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// devProfile returns how reloader links a `go run` target (supervisor.GoRun
// BuildArgs without --debug): no DWARF, no symbol table, no VCS stamp.
func devProfile() []string { return []string{"-ldflags=-s -w", "-buildvcs=false"} }

// measureBuilds edits dir/main.go before every build and times `runs`
// plain `go build`s and `runs` dev-profile builds, alternating which goes
// first.
func measureBuilds(ctx context.Context, e *env, dir string, runs int) (plain, dev []time.Duration, err error) {
	// One untimed build of each first, so both start from a warm cache
	// (not in -quick mode, whose figures mean little anyway).
	first := -1
	if e.opts.Quick {
		first = 0
	}
	for i := first; i < runs; i++ {
		order := []bool{false, true}
		if i%2 != 0 {
			order = []bool{true, false}
		}
		for _, isDev := range order {
			args := []string{"build"}
			name := "plain"
			if isDev {
				args = append(args, devProfile()...)
				name = "dev"
			}
			args = append(args, "-o", filepath.Join(e.tmp, "build-"+name), ".")
			if err := setVersion(dir, fmt.Sprintf("b%d-%s-%d", i, name, time.Now().UnixNano())); err != nil {
				return nil, nil, err
			}
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = dir
			start := time.Now()
			out, err := cmd.CombinedOutput()
			took := time.Since(start)
			if err != nil {
				return nil, nil, fmt.Errorf("go %v: %w\n%s", args, err, out)
			}
			switch {
			case i < 0:
			case isDev:
				dev = append(dev, took)
			default:
				plain = append(plain, took)
			}
		}
	}
	return plain, dev, nil
}

func buildScenario(ctx context.Context, e *env) (section, error) {
	runs := 7
	if e.opts.Quick {
		runs = 1
	}
	sec := section{
		Name:  "build",
		Title: "2. Build speed",
		Intro: fmt.Sprintf("The swap scenario's server, one `const version` edit before every build, %d runs of each profile, alternating. "+
			"The module is a git repository with one commit, as a project usually is, so a plain `go build` stamps VCS information (it runs git).", runs),
		Header: []string{"build", "median", "min", "max", "runs"},
	}
	dir, err := e.newModule(ctx, "build", map[string]string{"main.go": stockServer}, false)
	if err != nil {
		return sec, err
	}
	if err := gitInit(ctx, dir); err != nil {
		sec.Notes = append(sec.Notes, "git is not available, so the module is not a repository and VCS stamping costs nothing: "+firstLine(err.Error()))
		sec.Intro = fmt.Sprintf("The swap scenario's server, one `const version` edit before every build, %d runs of each profile, alternating.", runs)
	}
	plain, dev, err := measureBuilds(ctx, e, dir, runs)
	if err != nil {
		return sec, err
	}
	sec.row("go build", ms(median(plain)), ms(slices.Min(plain)), ms(slices.Max(plain)), itoa(runs))
	sec.row("reloader dev profile (go build -ldflags=\"-s -w\" -buildvcs=false)", ms(median(dev)), ms(slices.Min(dev)), ms(slices.Max(dev)), itoa(runs))
	mp, md := median(plain), median(dev)
	gain := float64(mp-md) / float64(mp) * 100
	// Measurably faster: the medians of the alternating runs differ by more
	// than 5%.
	faster := gain > 5
	sec.check("dev profile measurably faster than go build", faster, "%.0f%% faster (median %s vs %s)%s", gain, ms(md), ms(mp),
		ifMissed(faster, "; not measurably faster here: dropping DWARF and the symbol table saves link time only, and the compile dominates"))
	return sec, nil
}

// gitInit makes dir a git repository with one commit.
func gitInit(ctx context.Context, dir string) error {
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "init"},
	} {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %w\n%s", args, err, out)
		}
	}
	return nil
}
