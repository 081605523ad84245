package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"
)

// Hook names, as they appear in logs, errors and output prefixes.
const (
	hookPreBuild = "pre_build"
	hookPostSwap = "post_swap"
)

// runCommand runs argv in Dir, in its own process group (killed as a whole
// when ctx is cancelled), with the build environment plus env. Its output
// goes to the supervisor's stderr, line by line, prefixed with "[name] ".
func (s *Supervisor) runCommand(ctx context.Context, name string, argv []string, env ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(append(childEnv(cmd.Environ()), s.cfg.BuildEnv...), env...)
	lw := newLineWriter(s.out.stderr, "["+name+"] ")
	cmd.Stdout, cmd.Stderr = lw, lw
	cmd.SysProcAttr = buildSysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	err := s.runGroup(cmd)
	lw.Flush()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			err = fmt.Errorf("run %s: %w", argv[0], err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
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
