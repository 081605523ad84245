package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ErrNotReady is wrapped when a new child exits or times out before it is
// ready. The serving child is kept.
var ErrNotReady = errors.New("supervisor: new child was not ready")

// child is one generation of the app.
type child struct {
	gen     int
	pid     int
	proc    *os.Process
	notify  *notifySocket
	binary  string // built binary to remove when the child is gone; "" if none
	done    chan struct{}
	state   *os.ProcessState // set before done is closed
	waitErr error
	// stopping is set when the supervisor stops the child on purpose, so its
	// exit is not reported as a crash.
	stopping atomic.Bool
}

// childEnv returns env without the variables that belong to an activation
// protocol, so a stale LISTEN_PID or NOTIFY_SOCKET never reaches a child.
func childEnv(base []string) []string {
	out := make([]string, 0, len(base)+5)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", ShimEnv:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// startChild starts generation gen of argv with the sockets and a fresh
// notify socket. Where fds are inherited, it starts the exec shim, which sets
// LISTEN_PID to the child's own pid and execs argv.
func (s *Supervisor) startChild(gen int, argv []string, binary string) (*child, error) {
	ns, err := listenNotify(s.notifyDir, gen)
	if err != nil {
		return nil, err
	}
	env := childEnv(append(os.Environ(), s.cfg.Env...))
	if ns != nil {
		env = append(env, "NOTIFY_SOCKET="+ns.Env())
	}
	full := argv
	if inheritFDs {
		if len(s.sockets) > 0 {
			env = append(env, "LISTEN_FDS="+strconv.Itoa(len(s.sockets)), "LISTEN_FDNAMES="+s.sockets.Names())
		}
		env = append(env, ShimEnv+"=1")
		full = append([]string{s.shim}, argv...)
	}
	pipes, err := s.out.pipes()
	if err != nil {
		if ns != nil {
			ns.Close()
		}
		return nil, fmt.Errorf("supervisor: output pipes: %w", err)
	}
	proc, err := startProcess(full, cmpOr(s.cfg.RunDir, s.dir), env, s.sockets.FDs(), pipes.w[0], pipes.w[1])
	if err != nil {
		pipes.abort()
		if ns != nil {
			ns.Close()
		}
		return nil, fmt.Errorf("supervisor: start %s: %w", argv[0], err)
	}
	pipes.started()
	c := &child{gen: gen, pid: proc.Pid, proc: proc, notify: ns, binary: binary, done: make(chan struct{})}
	if ns != nil {
		go ns.serve(c.pid, s.log)
	}
	go func() {
		c.state, c.waitErr = proc.Wait()
		if c.notify != nil {
			c.notify.Close()
		}
		close(c.done)
	}()
	return c, nil
}

// exitStatus describes how the child ended; call it after done is closed.
func (c *child) exitStatus() string {
	if c.waitErr != nil {
		return c.waitErr.Error()
	}
	if c.state == nil {
		return "unknown"
	}
	return c.state.String()
}

// waitReady waits until the child reports READY=1 or, in ReadyAuto and
// ReadyDelay modes, until it has stayed up for the ready delay. It returns
// how readiness was decided.
func (s *Supervisor) waitReady(ctx context.Context, c *child) (string, error) {
	var ready <-chan struct{}
	if c.notify != nil && s.cfg.Ready != ReadyDelay {
		ready = c.notify.ready
	}
	var assume <-chan time.Time
	limit := time.NewTimer(s.cfg.ReadyTimeout)
	defer limit.Stop()
	if s.cfg.Ready != ReadyNotify {
		t := time.NewTimer(s.cfg.ReadyDelay)
		defer t.Stop()
		assume = t.C
	}
	select {
	case <-ready:
		return "notify", nil
	case <-assume:
		return "delay", nil
	case <-c.done:
		return "", fmt.Errorf("%w: pid %d exited before it was ready (%s)", ErrNotReady, c.pid, c.exitStatus())
	case <-limit.C:
		return "", fmt.Errorf("%w: pid %d sent no READY=1 within ready_timeout %v", ErrNotReady, c.pid, s.cfg.ReadyTimeout)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// stop sends the stop signal to the child's process group, waits up to the
// stop timeout, then SIGKILLs the group. It returns once the child is gone,
// and also kills anything left in its group.
func (s *Supervisor) stop(c *child, log *slog.Logger) {
	c.stopping.Store(true)
	select {
	case <-c.done:
	default:
		log.Info("stopping child", "pid", c.pid, "signal", s.cfg.StopSignal.String(), "timeout", s.cfg.StopTimeout)
		if err := signalGroup(c.pid, s.cfg.StopSignal); err != nil {
			log.Warn("stop signal failed", "pid", c.pid, "err", err)
		}
		t := time.NewTimer(s.cfg.StopTimeout)
		select {
		case <-c.done:
			t.Stop()
		case <-t.C:
			log.Warn("child did not stop within stop_timeout; killing its process group", "pid", c.pid, "stop_timeout", s.cfg.StopTimeout)
			killGroup(c.pid)
			<-c.done
		}
	}
	// Grandchildren that outlived their parent still hold the sockets.
	killGroup(c.pid)
	log.Info("child exited", "pid", c.pid, "status", c.exitStatus())
	if c.binary != "" {
		os.Remove(c.binary)
	}
}

// kill ends a child that never became ready.
func (s *Supervisor) kill(c *child) {
	c.stopping.Store(true)
	killGroup(c.pid)
	<-c.done
	if c.binary != "" {
		os.Remove(c.binary)
	}
}
