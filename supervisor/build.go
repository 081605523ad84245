package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BuildError reports a failed build. Output holds the compiler's output as
// it printed it, file:line intact.
type BuildError struct {
	Cmd    []string
	Output []byte
	Err    error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("supervisor: build failed: %v", e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// hasBuildStep reports whether a cycle runs anything before starting the
// child: the pre_build hook, a build command or the go build of go run.
func (s *Supervisor) hasBuildStep() bool {
	return s.isGoRun || len(s.cfg.Build) > 0 || len(s.cfg.PreBuild) > 0
}

// prepare runs the build step of generation gen, if any, and returns the
// argv to start and the built binary to remove when the child is gone ("" if
// none).
func (s *Supervisor) prepare(ctx context.Context, gen int, change string) (argv []string, binary string, err error) {
	argv = s.cfg.Command
	if !s.hasBuildStep() {
		return argv, "", nil
	}
	s.emit(Building{Gen: gen, Change: change})
	if len(s.cfg.PreBuild) > 0 {
		if err := s.runCommand(ctx, hookPreBuild, s.cfg.PreBuild); err != nil {
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			return nil, "", &BuildError{Cmd: s.cfg.PreBuild, Err: fmt.Errorf("hooks.%w", err)}
		}
	}
	switch {
	case s.isGoRun:
		out, err := s.build(ctx, gen)
		if err != nil {
			return nil, "", err
		}
		if s.cfg.BuildOutput == "" {
			binary = out
		}
		argv = append([]string{out}, s.gorun.Args...)
	case len(s.cfg.Build) > 0:
		if err := s.buildCommand(ctx); err != nil {
			return nil, "", err
		}
	}
	return argv, binary, nil
}

// build compiles generation gen of the go run target into a fresh path (or
// BuildOutput), so the binary a running child uses is never overwritten in
// place. It kills the whole build process group when ctx is cancelled.
func (s *Supervisor) build(ctx context.Context, gen int) (string, error) {
	out := s.cfg.BuildOutput
	if out == "" {
		out = filepath.Join(s.buildDir, "app-"+strconv.Itoa(gen))
	} else if !filepath.IsAbs(out) {
		out = filepath.Join(s.dir, out)
	}
	g := s.gorun
	g.Flags = append(append([]string{}, g.Flags...), s.cfg.BuildFlags...)
	argv := g.BuildArgs(out, s.cfg.Debug)
	return out, s.runBuild(ctx, argv)
}

// buildCommand runs the configured build command.
func (s *Supervisor) buildCommand(ctx context.Context) error {
	return s.runBuild(ctx, s.cfg.Build)
}

// runBuild runs argv in Dir with the build environment, capturing its
// output for a BuildError.
func (s *Supervisor) runBuild(ctx context.Context, argv []string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(childEnv(cmd.Environ()), s.cfg.BuildEnv...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = buildSysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	err := s.runGroup(cmd)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			err = fmt.Errorf("run %s: %w", argv[0], err)
		}
		return &BuildError{Cmd: argv, Output: buf.Bytes(), Err: err}
	}
	return nil
}

// checkBuildTarget reports a go run target that does not exist, or a Build
// combined with go run, before anything runs.
func (s *Supervisor) checkBuildTarget() error {
	if len(s.cfg.Build) > 0 && s.isGoRun {
		return fmt.Errorf("%w: build command: cannot be combined with a `go run` command; run the binary it builds instead", ErrConfig)
	}
	if !s.isGoRun {
		return nil
	}
	dir := s.dir
	for i, f := range s.gorun.Flags {
		if name, v, ok := strings.Cut(strings.TrimLeft(f, "-"), "="); name == "C" {
			if !ok && i+1 < len(s.gorun.Flags) {
				v = s.gorun.Flags[i+1]
			}
			dir = filepath.Join(dir, v)
		}
	}
	for _, pkg := range s.gorun.Pkg {
		if !strings.HasSuffix(pkg, ".go") && !isLocalPath(pkg) {
			continue // an import path: go build reports it
		}
		p := pkg
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w: build target %s does not exist (%s)", ErrBadGoRun, pkg, p)
		}
	}
	return nil
}

func isLocalPath(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") ||
		filepath.IsAbs(p) || strings.HasPrefix(p, `.\`) || strings.HasPrefix(p, `..\`)
}
