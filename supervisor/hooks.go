package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
)

// Hook names, as they appear in logs, errors and output prefixes.
const (
	hookPreBuild = "pre_build"
	hookPostSwap = "post_swap"
)

// buildStep is runCommand's name for a build: its output is captured.
const buildStep = ""

// runCommand runs argv, a build step or a hook, in Dir, in its own process
// group (killed as a whole when ctx is cancelled, and by the reaper if
// reloader dies), with the build environment plus env. It returns
// ctx.Err() once ctx is done.
//
// For a build (name is buildStep) the output is captured and a failure is
// a *BuildError that holds it. For a hook the output goes to the
// supervisor's stderr, line by line, prefixed with "[name] ", and a failure
// is an error prefixed with "name: ".
func (s *Supervisor) runCommand(ctx context.Context, name string, argv []string, env ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = mergeEnv(childEnv(cmd.Environ()), s.cfg.BuildEnv, env)
	var buf bytes.Buffer
	var lw *lineWriter
	if name == buildStep {
		cmd.Stdout, cmd.Stderr = &buf, &buf
	} else {
		lw = newLineWriter(s.out.stderr, s.linePrefix("["+name+"] ", ansiHookPrefix, 1))
		cmd.Stdout, cmd.Stderr = lw, lw
	}
	err := proc.RunGroup(s.reaper, cmd, proc.Lower{Nice: s.cfg.BuildNice, Shim: s.shim})
	if lw != nil {
		lw.Flush()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		err = fmt.Errorf("run %s: %w", argv[0], err)
	}
	if name == buildStep {
		return &BuildError{Cmd: argv, Output: buf.Bytes(), Err: err}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// afterSwap runs the post_swap hook, if any, in the background. Run waits
// for it (and cancels it) when it stops.
func (s *Supervisor) afterSwap(ctx context.Context, c *child) {
	if len(s.cfg.PostSwap) == 0 {
		return
	}
	s.drains.Add(1)
	go func() {
		defer s.drains.Done()
		start := time.Now()
		err := s.runCommand(ctx, hookPostSwap, s.cfg.PostSwap, "RELOADER_PID="+strconv.Itoa(c.pid))
		took := time.Since(start).Round(time.Millisecond)
		if !errors.Is(err, context.Canceled) {
			s.emit(HookDone{Hook: hookPostSwap, PID: c.pid, Took: took, Err: err})
		}
	}()
}
