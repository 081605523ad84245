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

	"github.com/reloader-dev/reloader/portdoctor"
	"github.com/reloader-dev/reloader/watcher"
)

// Supervisor owns the listening sockets and runs one generation of the app
// at a time, swapping in a new one when the sources change.
type Supervisor struct {
	cfg       Config
	log       *slog.Logger
	emitMu    sync.Mutex // serialises emit
	dir       string
	shim      string
	gorun     GoRun
	isGoRun   bool
	sockets   *groups
	notifyDir string
	buildDir  string
	ownBuild  bool // buildDir is ours to remove
	reload    chan string
	drains    sync.WaitGroup
	handoff   atomic.Bool
	ready     chan struct{} // closed when the first child is ready
	readyOnce sync.Once
	proxy     *proxy               // nil unless Config.Proxy
	children  *portdoctor.Registry // records children so a later run can name those left behind; nil if unavailable
	out       *outputs             // children's and hooks' output
	reaper    *reaper              // kills our process groups if reloader dies; nil if none
	watchOpts watcher.Options      // when cfg.Watch
	runCtx    context.Context      // Run's, for post_swap hooks
}

// New checks cfg, opens the sockets and prepares the private directories.
// The sockets stay open until Run returns (or Close is called if Run is
// never called).
func New(ctx context.Context, cfg Config) (*Supervisor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Supervisor{cfg: cfg, log: cfg.Logger, reload: make(chan string, 1), ready: make(chan struct{})}
	if s.dir, err = filepath.Abs(cmpOr(cfg.Dir, ".")); err != nil {
		return nil, fmt.Errorf("supervisor: dir: %w", err)
	}
	s.children, _ = portdoctor.OpenRegistry(s.dir)
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
		if s.reaper, err = startReaper(s.shim, s.log); err != nil {
			s.log.Warn("no reaper: children may outlive a killed reloader", "err", err)
		}
	}
	if cfg.KillStale {
		if err := s.killStale(ctx); err != nil {
			return nil, err
		}
	}
	if inheritFDs {
		s.sockets, err = openAll(ctx, cfg, s.log)
		if err != nil {
			return nil, err
		}
	} else if len(cfg.Listen) > 0 {
		s.log.Warn("this platform cannot hand sockets to a child: falling back to stop-then-start; the app binds its own port")
	}
	if cfg.Proxy {
		if len(cfg.Listen) == 0 && len(cfg.Inherited) == 0 {
			s.Close()
			return nil, fmt.Errorf("%w: proxy needs an address to listen on (-l)", ErrConfig)
		}
		s.proxy = newProxy(cfg.ProxyHold, s.log)
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

// Addrs returns the addresses the supervisor owns, with ports chosen.
func (s *Supervisor) Addrs() []Address {
	if s.sockets == nil {
		return nil
	}
	return s.sockets.addrs()
}

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
	if s.sockets != nil {
		s.sockets.close()
	}
	if s.notifyDir != "" {
		os.RemoveAll(s.notifyDir)
	}
	if s.ownBuild {
		os.RemoveAll(s.buildDir)
	}
	if s.out != nil {
		s.out.close()
	}
	s.reaper.close()
	return nil
}

// runGroup runs cmd, which starts a process group of its own, and keeps the
// reaper informed so the group dies with reloader.
func (s *Supervisor) runGroup(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	s.reaper.add(pid)
	err := cmd.Wait()
	killGroup(pid)
	s.reaper.gone(pid)
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
		// An inotify limit, say: the error names the sysctl to raise. The
		// app still runs and SIGHUP still swaps.
		s.emit(WatchFailed{Err: err})
		changes, stopWatch = nil, func() {}
	}
	defer stopWatch()
	for _, a := range s.Addrs() {
		s.emit(Listening{Address: a, Proxy: s.proxy != nil})
	}
	if s.proxy != nil {
		s.proxy.serve(s.sockets.listeners())
	}
	var (
		current *child
		running *cycle
		pending string
		gen     int
		crashes crashLoop
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
			s.emit(BuildRestarted{Change: reason})
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
		restart := crashes.timer()
		select {
		case <-ctx.Done():
			if running != nil {
				running.cancel()
				<-running.done
			}
			if s.proxy != nil {
				sctx, cancel := context.WithTimeout(context.Background(), s.cfg.StopTimeout)
				s.proxy.shutdown(sctx)
				cancel()
			}
			if current != nil {
				s.stop(current, s.handoff.Load())
			}
			s.drains.Wait()
			s.emit(Stopped{})
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
			if current == nil && r.err != nil && s.cfg.RestartOnCrash && !errors.Is(r.err, context.Canceled) && pending == "" {
				delay := crashes.crashed(r.swapStart, s.cfg.CrashBackoff, s.cfg.CrashBackoffMax)
				s.emit(Crashed{Status: r.err.Error(), Crashes: crashes.count, Backoff: delay, Restart: true})
			}
			if pending != "" {
				reason := pending
				pending = ""
				start(reason)
			}
		case <-currentDone:
			if !current.stopping.Load() {
				s.reap(current)
				if s.cfg.RestartOnCrash {
					delay := crashes.crashed(current.started, s.cfg.CrashBackoff, s.cfg.CrashBackoffMax)
					s.emit(Crashed{PID: current.pid, Status: current.exitStatus(), Crashes: crashes.count, Backoff: delay, Restart: true})
				} else {
					s.emit(Crashed{PID: current.pid, Status: current.exitStatus()})
				}
			}
			current = nil
		case <-restart:
			crashes.fired()
			trigger("restart after crash")
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
	if current != nil && (!inheritFDs || s.cfg.Restart == RestartSequential) {
		// Stop-then-start: the app cannot run twice, or binds its port itself.
		s.stop(current, false)
		if !waitGroupGone(current.pid, s.cfg.StopTimeout) {
			s.log.Warn("old process group still has members; starting the new child anyway", "pgid", current.pid)
		}
	}
	r.swapStart = time.Now()
	ch, err := s.startChild(ctx, gen, argv, binary, current)
	if err != nil {
		r.err = err
		if binary != "" {
			os.Remove(binary)
		}
		return r
	}
	s.emit(ChildStarted{Gen: gen, PID: ch.pid})
	via, err := s.waitReady(ctx, ch)
	if err != nil {
		s.kill(ch)
		s.explainFailedStart(ch, err)
		r.err = err
		return r
	}
	if s.proxy != nil {
		s.proxy.switchTo(ch.backend)
	} else if s.sockets != nil {
		s.sockets.promote(ch.socks)
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
		s.emit(BuildFailed{Gen: r.gen, Err: be.Err, Output: be.Output, BuildTime: r.buildTime, ServingPID: pidOf(current)})
		return current
	case r.err != nil:
		s.emit(StartFailed{Gen: r.gen, Err: r.err, ServingPID: pidOf(current)})
		return current
	}
	s.emit(ChildReady{Gen: r.gen, PID: r.child.pid, Via: r.readyVia, ReadyTime: time.Since(r.swapStart)})
	s.readyOnce.Do(func() { close(s.ready) }) // after the log line, which Ready's waiters may follow with their own
	if current.alive() {
		old := current
		old.stopping.Store(true)
		s.drains.Add(1)
		go func() {
			defer s.drains.Done()
			s.stop(old, true)
		}()
	}
	s.emit(Swapped{Gen: r.gen, Change: r.reason, OldPID: pidOf(current), NewPID: r.child.pid, BuildTime: r.buildTime, SwapTime: time.Since(r.swapStart)})
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
