package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/reloader-dev/reloader/internal/instrument"
)

// instrumentation is the state of build instrumentation over a run.
type instrumentation struct {
	mu     sync.Mutex
	off    bool   // an instrumented build failed where a plain one succeeded
	pkgDir string // the package directory of an import path, once looked up
}

// mayInstrument reports whether reloader's builds may carry the hook file,
// so that apps may ask for sockets on demand: a `go run` command on Linux
// with Config.Instrument.
func (s *Supervisor) mayInstrument() bool {
	return s.isGoRun && s.cfg.Instrument && runtime.GOOS == "linux"
}

// instrumenting reports whether the next go build adds the hook file.
func (s *Supervisor) instrumenting() bool {
	if !s.mayInstrument() {
		return false
	}
	s.instr.mu.Lock()
	defer s.instr.mu.Unlock()
	return !s.instr.off
}

// buildInstrumented builds g into out with the hook file. If that fails,
// it builds once more without it; when that succeeds, instrumentation is
// off for the rest of the run and InstrumentFailed says why. A failure of
// both builds is the app's own: it is returned as the plain build's error
// and instrumentation stays on.
func (s *Supervisor) buildInstrumented(ctx context.Context, g GoRun, out string) (bool, error) {
	ig, err := s.instrumentGoRun(ctx, g)
	if err == nil {
		if err = s.runCommand(ctx, buildStep, ig.BuildArgs(out, s.cfg.Debug)); err == nil {
			return true, nil
		}
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if perr := s.runCommand(ctx, buildStep, g.BuildArgs(out, s.cfg.Debug)); perr != nil {
		return false, perr
	}
	s.instr.mu.Lock()
	s.instr.off = true
	s.instr.mu.Unlock()
	ev := InstrumentFailed{Err: err}
	if be := (*BuildError)(nil); errors.As(err, &be) {
		ev.Output = firstLine(be.Output)
	}
	s.emit(ev)
	return false, nil
}

// instrumentGoRun returns g with the hook file added: an -overlay that
// adds it to the main package (merged with the user's own -overlay), the
// file appended to a list of .go files, and -checklinkname=0 merged into
// -ldflags.
func (s *Supervisor) instrumentGoRun(ctx context.Context, g GoRun) (GoRun, error) {
	flags, userOverlay := withoutFlag(g.Flags, "overlay")
	if userOverlay != "" && !filepath.IsAbs(userOverlay) {
		userOverlay = filepath.Join(s.buildRoot(), userOverlay)
	}
	pkgDir, err := s.mainPackageDir(ctx, g)
	if err != nil {
		return g, err
	}
	overlay, pkgFile, err := instrument.Overlay(s.buildDir, pkgDir, userOverlay)
	if err != nil {
		return g, err
	}
	g.Flags = append(flags, "-overlay="+overlay)
	g = g.withLDFlags("-checklinkname=0")
	if strings.HasSuffix(g.Pkg[0], ".go") {
		// Named files make the package: name ours too, written as the
		// others are (go build wants them in one directory).
		g.Pkg = append(append([]string{}, g.Pkg...), filepath.Join(filepath.Dir(g.Pkg[0]), filepath.Base(pkgFile)))
	}
	return g, nil
}

// mainPackageDir returns the directory of the main package g builds: that
// of its .go files, its relative path under the build root, or, for an
// import path, what `go list` says (looked up once per run).
func (s *Supervisor) mainPackageDir(ctx context.Context, g GoRun) (string, error) {
	pkg := g.Pkg[0]
	switch {
	case strings.HasSuffix(pkg, ".go"):
		pkg = filepath.Dir(pkg)
		fallthrough
	case isLocalPath(pkg):
		if filepath.IsAbs(pkg) {
			return pkg, nil
		}
		return filepath.Join(s.buildRoot(), pkg), nil
	}
	s.instr.mu.Lock()
	dir := s.instr.pkgDir
	s.instr.mu.Unlock()
	if dir != "" {
		return dir, nil
	}
	args := []string{"list"}
	for _, name := range []string{"C", "mod", "modfile", "tags"} {
		if _, v := withoutFlag(g.Flags, name); v != "" {
			args = append(args, "-"+name+"="+v)
		}
	}
	cmd := exec.CommandContext(ctx, g.Go, append(args, "-f", "{{.Dir}}", pkg)...)
	cmd.Dir = s.dir
	cmd.Env = mergeEnv(childEnv(cmd.Environ()), s.cfg.BuildEnv)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %w: %s", pkg, err, firstLine(stderr.Bytes()))
	}
	dir = strings.TrimSpace(string(b))
	s.instr.mu.Lock()
	s.instr.pkgDir = dir
	s.instr.mu.Unlock()
	return dir, nil
}

// withoutFlag returns flags without the value flag name, and its last
// value ("" if not given).
func withoutFlag(flags []string, name string) (rest []string, value string) {
	for i := 0; i < len(flags); i++ {
		n, v, hasValue := strings.Cut(strings.TrimLeft(flags[i], "-"), "=")
		if n != name || !strings.HasPrefix(flags[i], "-") {
			rest = append(rest, flags[i])
			continue
		}
		if !hasValue && i+1 < len(flags) {
			i++
			v = flags[i]
		}
		value = v
	}
	return rest, value
}

// withLDFlags returns g with extra appended to its -ldflags (or a new
// -ldflags), keeping the user's own.
func (g GoRun) withLDFlags(extra string) GoRun {
	flags, ld := withoutFlag(g.Flags, "ldflags")
	g.Flags = append(flags, "-ldflags="+strings.TrimSpace(ld+" "+extra))
	return g
}

// firstLine returns the first line of a build's output that is not a
// "# package" header.
func firstLine(out []byte) string {
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return ""
}
