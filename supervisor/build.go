package supervisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// built is what the build step of a generation produced.
type built struct {
	argv   []string // what to start
	binary string   // the built binary to remove when the child is gone; "" if none
	// instrumented is set when the binary carries reloader's hook file, so
	// its child may be given RELOADER_HOOK_SOCKET.
	instrumented bool
}

// prepare runs the build step of generation gen, if any, and returns what
// to start.
func (s *Supervisor) prepare(ctx context.Context, gen int, change string) (built, error) {
	b := built{argv: s.cfg.Command}
	if !s.hasBuildStep() {
		return b, nil
	}
	s.clearScreen()
	s.emit(Building{Gen: gen, Change: change})
	if len(s.cfg.PreBuild) > 0 {
		// What the hook writes (go generate) is no new change: the build
		// below sees it.
		release := s.holdWatch()
		err := s.runCommand(ctx, hookPreBuild, s.cfg.PreBuild)
		release()
		if err != nil {
			if ctx.Err() != nil {
				return built{}, ctx.Err()
			}
			return built{}, &BuildError{Cmd: s.cfg.PreBuild, Err: fmt.Errorf("hooks.%w", err)}
		}
	}
	switch {
	case s.isGoRun:
		out, instrumented, err := s.build(ctx, gen)
		if err != nil {
			return built{}, err
		}
		if s.cfg.BuildOutput == "" {
			b.binary = out
		}
		b.argv = append([]string{out}, s.gorun.Args...)
		b.instrumented = instrumented
	case len(s.cfg.Build) > 0:
		if err := s.buildCommand(ctx); err != nil {
			return built{}, err
		}
	}
	return b, nil
}

// build compiles generation gen of the go run target into a fresh path (or
// BuildOutput), so the binary a running child uses is never overwritten in
// place. It kills the whole build process group when ctx is cancelled.
// With instrumentation on, it builds with the hook file first, and builds
// once more without it if that fails (see buildInstrumented).
func (s *Supervisor) build(ctx context.Context, gen int) (out string, instrumented bool, err error) {
	out = s.cfg.BuildOutput
	if out == "" {
		out = filepath.Join(s.buildDir, "app-"+strconv.Itoa(gen))
	} else if !filepath.IsAbs(out) {
		out = filepath.Join(s.dir, out)
	}
	g := s.gorun
	g.Flags = append(append([]string{}, g.Flags...), s.cfg.BuildFlags...)
	if s.instrumenting() {
		instrumented, err = s.buildInstrumented(ctx, g, out)
		return out, instrumented, err
	}
	return out, false, s.runCommand(ctx, buildStep, g.BuildArgs(out, s.cfg.Debug))
}

// buildCommand runs the configured build command.
func (s *Supervisor) buildCommand(ctx context.Context) error {
	return s.runCommand(ctx, buildStep, s.cfg.Build)
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
	dir := s.buildRoot()
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

// buildRoot is the directory the go command builds in: Dir, changed by a
// -C flag of the go run command.
func (s *Supervisor) buildRoot() string {
	dir := s.dir
	for i, f := range s.gorun.Flags {
		if name, v, ok := strings.Cut(strings.TrimLeft(f, "-"), "="); name == "C" {
			if !ok && i+1 < len(s.gorun.Flags) {
				v = s.gorun.Flags[i+1]
			}
			dir = filepath.Join(dir, v)
		}
	}
	return dir
}

func isLocalPath(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") ||
		filepath.IsAbs(p) || strings.HasPrefix(p, `.\`) || strings.HasPrefix(p, `..\`)
}
