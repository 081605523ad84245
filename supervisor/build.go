package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
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

// build compiles generation gen of the go run target into a fresh path, so
// the binary a running child uses is never overwritten. It kills the whole
// build process group when ctx is cancelled.
func (s *Supervisor) build(ctx context.Context, gen int) (string, time.Duration, error) {
	out := filepath.Join(s.buildDir, "app-"+strconv.Itoa(gen))
	argv := s.gorun.BuildArgs(out, s.cfg.Debug)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(childEnv(cmd.Environ()), s.cfg.BuildEnv...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = buildSysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		return "", took, ctx.Err()
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			err = fmt.Errorf("run %s: %w", argv[0], err)
		}
		return "", took, &BuildError{Cmd: argv, Output: buf.Bytes(), Err: err}
	}
	return out, took, nil
}
