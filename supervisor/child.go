package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/internal/sdnotify"
)

// ErrNotReady is wrapped when a new child exits or times out before it is
// ready. The serving child is kept.
var ErrNotReady = errors.New("supervisor: new child was not ready")

// child is one generation of the app.
type child struct {
	gen     int
	pid     int
	proc    *os.Process
	notify  *sdnotify.Socket
	binary  string   // built binary to remove when the child is gone; "" if none
	argv    []string // what was started
	handout *handout // what the server gave it
	// instrumented is set when the binary carries reloader's hook file
	// (Config.Instrument): only then does the child get RELOADER_HOOK_SOCKET.
	instrumented bool
	exe          string // the app's executable
	pipes        *childPipes
	tail         outputTail // its last lines, for Crashed and StartFailed
	// listen serves RELOADER_HOOK_SOCKET (ondemand.go); nil if none.
	listen *listenServer
	// addrInUse is set when the child printed "address already in use"
	// (or Python's "Address already in use").
	addrInUse atomic.Bool
	// inUseLine is the first line that said so; nil if none did.
	inUseLine atomic.Pointer[string]
	// beside is the pid of the child that served when this one started,
	// 0 if none did (the first start, or a sequential restart).
	beside int
	// retired is closed once the child, replaced by a newer one, has been
	// stopped in the background; nil until then. Set by the run loop.
	retired chan struct{}
	started time.Time
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
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", proc.ShimEnv, generationEnv, listenEnvVar,
			"TABLEFLIP_HAS_PARENT_7DIU3": // an upgraded reloader's, never the app's
			continue
		}
		out = append(out, kv)
	}
	return out
}

// appEnv is the app's environment before what reloader sets for it:
// run.env beats the env files, which beat the inherited environment.
func appEnv(inherited, files, run []string) []string {
	return childEnv(mergeEnv(inherited, files, run))
}

// startChild starts generation gen of b with what the server hands out
// and a fresh notify socket (and, for an instrumented binary, what
// listenEnv gives it). Where fds are inherited, it starts the exec shim,
// which sets LISTEN_PID to the child's own pid and execs b.argv.
func (s *Supervisor) startChild(ctx context.Context, gen int, b built) (*child, error) {
	argv := b.argv
	fileEnv, err := s.fileEnv()
	if err != nil {
		return nil, err
	}
	h, err := s.srv.handout(ctx)
	if err != nil {
		return nil, err
	}
	ns, err := sdnotify.Listen(s.notifyDir, gen)
	if err != nil {
		s.srv.release(h)
		return nil, err
	}
	ls, err := s.startListenServer(gen, h, b.instrumented)
	if err != nil {
		if ns != nil {
			ns.Close()
		}
		s.srv.release(h)
		return nil, err
	}
	// pid, proc, pipes and started are set once it runs.
	c := &child{gen: gen, argv: argv, notify: ns, listen: ls, binary: b.binary, instrumented: b.instrumented, handout: h, exe: s.resolve(argv[0]), done: make(chan struct{})}
	// One entry per key: run.env beats the env files, which beat
	// reloader's own environment, and what reloader sets for the app beats
	// them all.
	own := append([]string(nil), h.env...)
	own = append(own, ls.env()...)
	own = append(own, s.generationMarker(gen))
	if ns != nil {
		own = append(own, "NOTIFY_SOCKET="+ns.Env())
	}
	// The exec shim sets LISTEN_PID; an instrumented app (given the hook
	// socket) sets it itself and starts without the shim's own start.
	var shim *proc.Shim
	if proc.InheritFDs && ls == nil {
		shim = s.shim
	}
	env := mergeEnv(appEnv(os.Environ(), fileEnv, s.cfg.Env), own)
	abort := func() {
		if ns != nil {
			ns.Close()
		}
		ls.close()
		s.srv.release(h)
	}
	pipes, err := s.out.pipes()
	if err != nil {
		abort()
		return nil, fmt.Errorf("supervisor: output pipes: %w", err)
	}
	p, err := proc.Start(argv, proc.Attr{Dir: s.runDir(), Env: env, Fds: h.fds, Shim: shim, Stdout: pipes.w[0], Stderr: pipes.w[1]})
	if err != nil {
		pipes.abort()
		abort()
		return nil, fmt.Errorf("supervisor: start %s: %w", argv[0], err)
	}
	c.pipes, c.pid, c.proc, c.started = pipes, p.Pid, p, time.Now()
	pipes.started(func(line []byte) {
		c.tail.add(line)
		if bytes.Contains(line, []byte("ddress already in use")) { // Python's "Address"
			l := string(line)
			c.inUseLine.CompareAndSwap(nil, &l)
			c.addrInUse.Store(true)
		}
	})
	s.reaper.Add(c.pid)
	if ns != nil {
		go ns.Serve(c.pid, s.log)
	}
	ls.serve(c.pid)
	s.recordChild(c.pid, argv)
	go func() {
		c.state, c.waitErr = p.Wait()
		s.forgetChild(c.pid)
		if c.notify != nil {
			c.notify.Close()
		}
		c.listen.close()
		close(c.done)
	}()
	return c, nil
}

// runDir is the children's working directory: run.dir, or Dir.
func (s *Supervisor) runDir() string {
	if s.cfg.RunDir == "" {
		return s.dir
	}
	// Relative to our working directory, as the child's chdir is.
	if d, err := filepath.Abs(s.cfg.RunDir); err == nil {
		return d
	}
	return s.cfg.RunDir
}

// resolve finds the executable argv0 names, as the shim will in the
// children's working directory (run.dir), so that the ready-sender check
// and watch_binary look at the file the child runs.
func (s *Supervisor) resolve(argv0 string) string {
	if strings.ContainsRune(argv0, filepath.Separator) {
		if filepath.IsAbs(argv0) {
			return argv0
		}
		return filepath.Join(s.runDir(), argv0)
	}
	if p, err := exec.LookPath(argv0); err == nil {
		return p
	}
	return argv0
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

// alive reports whether c is a child that has not exited.
func (c *child) alive() bool {
	if c == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// stop ends a child and returns once its process group is gone. For a
// swap (drain true) it first waits until no connection waits in the
// child's steered sockets. Then it sends the stop signal to the child's
// process group and gives the whole group the stop timeout: a wrapper such
// as `sh -c './app; echo'` dies at once on the signal while the app it
// started still drains in the group. Whatever is left when the stop
// timeout runs out is SIGKILLed.
func (s *Supervisor) stop(c *child, drain bool) {
	c.stopping.Store(true)
	if drain {
		if drained, left := s.srv.retire(c.handout, c.pid, s.handoff.Load()); drained {
			s.emit(QueueDrained{PID: c.pid, Left: left})
		}
	}
	if c.alive() || !proc.WaitGroupGone(c.pid, 0) {
		s.emit(Stopping{PID: c.pid, Signal: s.cfg.StopSignal, Timeout: s.cfg.StopTimeout})
		if err := proc.SignalGroup(c.pid, s.cfg.StopSignal); err != nil {
			s.log.Warn("stop signal failed", "pid", c.pid, "err", err)
		}
		deadline := time.Now().Add(s.cfg.StopTimeout)
		t := time.NewTimer(s.cfg.StopTimeout)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		if c.alive() || !proc.WaitGroupGone(c.pid, time.Until(deadline)) {
			s.emit(Killed{PID: c.pid, StopTimeout: s.cfg.StopTimeout})
			proc.KillGroup(c.pid)
			<-c.done
		}
	}
	s.emit(ChildExited{PID: c.pid, Status: c.exitStatus()})
	s.reap(c)
	waitGone(c, s.cfg.StopTimeout, s.log)
}

// kill ends a child that never became ready.
func (s *Supervisor) kill(c *child) {
	c.stopping.Store(true)
	proc.KillGroup(c.pid)
	<-c.done
	s.reap(c)
}

// reap releases what a gone child held: anything left in its process group
// (grandchildren still hold the sockets), its sockets and its binary.
func (s *Supervisor) reap(c *child) {
	proc.KillGroup(c.pid)
	s.killOrphans(c)
	s.reaper.Gone(c.pid)
	if c.handout != nil {
		s.srv.release(c.handout)
	}
	if c.binary != "" {
		os.Remove(c.binary)
	}
}

// waitGone waits up to timeout until c's process group has no member
// left, and says so when one outlives it.
func waitGone(c *child, timeout time.Duration, log *slog.Logger) {
	if !proc.WaitGroupGone(c.pid, timeout) {
		log.Warn("old process group still has members; starting the new child anyway", "pgid", c.pid)
	}
}

// doneChan returns the channel closed when c exits, or nil for no child.
func (c *child) doneChan() <-chan struct{} {
	if c == nil {
		return nil
	}
	return c.done
}
