package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reloader-dev/reloader/watcher"
)

// Supervisor owns the listening sockets and runs one generation of the app
// at a time, swapping in a new one when the sources change.
type Supervisor struct {
	cfg       Config
	log       *slog.Logger
	dir       string
	shim      string
	gorun     GoRun
	isGoRun   bool
	sockets   Sockets
	notifyDir string
	buildDir  string
	ownBuild  bool // buildDir is ours to remove
	reload    chan string
	drains    sync.WaitGroup
	out       *outputs        // children's and hooks' output
	watchOpts watcher.Options // when cfg.Watch
	runCtx    context.Context // Run's, for post_swap hooks
}

// New checks cfg, opens the sockets and prepares the private directories.
// The sockets stay open until Run returns (or Close is called if Run is
// never called).
func New(ctx context.Context, cfg Config) (*Supervisor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Supervisor{cfg: cfg, log: cfg.Logger, reload: make(chan string, 1)}
	if s.dir, err = filepath.Abs(cmpOr(cfg.Dir, ".")); err != nil {
		return nil, fmt.Errorf("supervisor: dir: %w", err)
	}
	if s.gorun, s.isGoRun, err = ParseGoRun(cfg.Command); err != nil {
		return nil, err
	}
	if err := s.checkBuildTarget(); err != nil {
		return nil, err
	}
	if !s.isGoRun && len(cfg.Build) == 0 {
		if _, err := exec.LookPath(cfg.Command[0]); err != nil {
			return nil, fmt.Errorf("%w: command: %w", ErrConfig, err)
		}
	}
	if cfg.Watch {
		if s.watchOpts, err = s.watcherOptions(); err != nil {
			return nil, err
		}
	}
	s.out = newOutputs(cfg.Stdout, cfg.Stderr, cfg.OutputPrefix)
	if s.shim = cfg.Shim; s.shim == "" {
		if s.shim, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("supervisor: find own executable for the exec shim: %w", err)
		}
	}
	if inheritFDs {
		if s.sockets, err = OpenSockets(ctx, cfg.Listen, ListenOptions{ReusePort: cfg.ReusePort}); err != nil {
			return nil, err
		}
	} else if len(cfg.Listen) > 0 {
		s.log.Warn("this platform cannot hand sockets to a child: falling back to stop-then-start; the app binds its own port")
	}
	if s.notifyDir, err = newNotifyDir(); err != nil {
		s.Close()
		return nil, err
	}
	s.buildDir = cfg.BuildDir
	if s.isGoRun && s.buildDir == "" {
		if s.buildDir, err = os.MkdirTemp("", "reloader-build-"); err != nil {
			s.Close()
			return nil, fmt.Errorf("supervisor: build directory: %w", err)
		}
		s.ownBuild = true
	}
	return s, nil
}

// Sockets returns the sockets the supervisor owns, with ports chosen.
func (s *Supervisor) Sockets() Sockets { return s.sockets }

// Reload asks for a rebuild and swap, as SIGHUP does. It never blocks;
// requests that arrive while one is pending merge into it.
func (s *Supervisor) Reload(reason string) {
	select {
	case s.reload <- reason:
	default:
	}
}

// Close releases the sockets and private directories. Run calls it.
func (s *Supervisor) Close() error {
	err := s.sockets.Close()
	if s.notifyDir != "" {
		os.RemoveAll(s.notifyDir)
	}
	if s.ownBuild {
		os.RemoveAll(s.buildDir)
	}
	if s.out != nil {
		s.out.close()
	}
	return err
}

// cycle is one build-start-ready attempt, run in its own goroutine.
type cycle struct {
	cancel   context.CancelFunc
	building atomic.Bool
	done     chan cycleResult
}

type cycleResult struct {
	child     *child
	gen       int
	reason    string
	buildTime time.Duration
	swapStart time.Time
	readyVia  string
	err       error
}

// Run runs the app until ctx is done, then stops the serving child and
// releases everything. It returns nil after a clean stop.
func (s *Supervisor) Run(ctx context.Context) error {
	defer s.Close()
	s.runCtx = ctx
	changes, stopWatch, err := s.watch(ctx)
	if err != nil {
		return err
	}
	defer stopWatch()
	for _, sock := range s.sockets {
		s.log.Info("listening", "name", sock.Name, "network", sock.Network, "addr", sock.Addr)
	}
	var (
		current *child
		running *cycle
		pending string
		gen     int
	)
	start := func(reason string) {
		gen++
		running = s.startCycle(ctx, gen, reason, current)
	}
	trigger := func(reason string) {
		switch {
		case running == nil:
			start(reason)
		case running.building.Load():
			// A newer change makes this build stale: cancel it and build again.
			s.log.Info("change during build; restarting build", "change", reason)
			running.cancel()
			pending = reason
		default:
			pending = reason
		}
	}
	start("start")
	for {
		var currentDone <-chan struct{}
		if current != nil {
			currentDone = current.done
		}
		var cycleDone <-chan cycleResult
		if running != nil {
			cycleDone = running.done
		}
		select {
		case <-ctx.Done():
			if running != nil {
				running.cancel()
				<-running.done
			}
			if current != nil {
				s.stop(current, s.log)
			}
			s.drains.Wait()
			s.log.Info("stopped")
			return nil
		case b, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			trigger(describeChange(b.First(), b.Count))
		case reason := <-s.reload:
			trigger(reason)
		case r := <-cycleDone:
			running = nil
			current = s.finishCycle(r, current)
			if pending != "" {
				reason := pending
				pending = ""
				start(reason)
			}
		case <-currentDone:
			if !current.stopping.Load() {
				s.log.Error("child exited; waiting for a change to restart it", "pid", current.pid, "status", current.exitStatus())
				if current.binary != "" {
					os.Remove(current.binary)
				}
			}
			current = nil
		}
	}
}

func describeChange(first string, count int) string {
	if count > 1 {
		return fmt.Sprintf("%s (+%d more)", first, count-1)
	}
	return first
}

// startCycle builds (for go run) and starts generation gen in the background.
// The current child keeps serving throughout.
func (s *Supervisor) startCycle(ctx context.Context, gen int, reason string, current *child) *cycle {
	cctx, cancel := context.WithCancel(ctx)
	c := &cycle{cancel: cancel, done: make(chan cycleResult, 1)}
	go func() {
		defer cancel()
		c.done <- s.runCycle(cctx, c, gen, reason, current)
	}()
	return c
}

func (s *Supervisor) runCycle(ctx context.Context, c *cycle, gen int, reason string, current *child) cycleResult {
	r := cycleResult{gen: gen, reason: reason}
	argv, binary, took, err := s.prepare(ctx, c, gen, reason)
	if r.buildTime = took; err != nil {
		r.err = err
		return r
	}
	if !inheritFDs && current != nil {
		// Stop-then-start: the app binds the port itself.
		s.stop(current, s.log)
	}
	r.swapStart = time.Now()
	ch, err := s.startChild(gen, argv, binary)
	if err != nil {
		r.err = err
		if binary != "" {
			os.Remove(binary)
		}
		return r
	}
	s.log.Info("child started", "pid", ch.pid, "gen", gen)
	via, err := s.waitReady(ctx, ch)
	if err != nil {
		s.kill(ch)
		r.err = err
		return r
	}
	r.child, r.readyVia = ch, via
	return r
}

// finishCycle installs the new child and drains the old one in the
// background, or reports why the serving child is kept. It returns the
// serving child.
func (s *Supervisor) finishCycle(r cycleResult, current *child) *child {
	var be *BuildError
	switch {
	case errors.Is(r.err, context.Canceled):
		return current
	case errors.As(r.err, &be):
		s.out.stderr.Write(be.Output)
		s.log.Error("build failed; still serving the previous child", "pid", pidOf(current), "err", be.Err, "build_time", r.buildTime.Round(time.Millisecond))
		return current
	case r.err != nil:
		s.log.Error("new child failed; still serving the previous child", "pid", pidOf(current), "err", r.err)
		return current
	}
	s.log.Info("child ready", "pid", r.child.pid, "gen", r.gen, "via", r.readyVia, "ready_time", time.Since(r.swapStart).Round(time.Millisecond))
	if current != nil {
		old := current
		old.stopping.Store(true)
		s.drains.Add(1)
		go func() {
			defer s.drains.Done()
			s.stop(old, s.log)
		}()
	}
	s.log.Info("swapped", "change", r.reason, "old_pid", pidOf(current), "new_pid", r.child.pid,
		"build_time", r.buildTime.Round(time.Millisecond), "swap_time", time.Since(r.swapStart).Round(time.Millisecond))
	s.afterSwap(r.child)
	return r.child
}

func pidOf(c *child) int {
	if c == nil {
		return 0
	}
	return c.pid
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
