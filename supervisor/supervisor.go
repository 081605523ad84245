package supervisor

import (
	"context"
	"errors"
	"fmt"
	"github.com/reloader-dev/reloader/internal/sdnotify"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/reloader-dev/reloader/internal/proc"
	"github.com/reloader-dev/reloader/portdoctor"
	"github.com/reloader-dev/reloader/watcher"
)

// Supervisor owns the listening sockets and runs one generation of the app
// at a time, swapping in a new one when the sources change. See the package
// documentation for the life of a generation.
type Supervisor struct {
	cfg       Config
	log       *slog.Logger
	emitMu    sync.Mutex // serialises emit
	srv       server     // how generations are served; chosen once in New
	gens      generations
	dir       string
	shim      *proc.Shim // opened once: later children start from this file
	gorun     GoRun
	isGoRun   bool
	notifyDir string
	buildDir  string
	instr     instrumentation
	ownBuild  bool // buildDir is ours to remove
	reload    chan string
	drains    sync.WaitGroup // retiring children and post_swap hooks
	handoff   atomic.Bool
	ready     chan struct{} // closed when the first child is ready
	readyOnce sync.Once
	children  *portdoctor.Registry // records children so a later run can name those left behind; nil if unavailable
	out       *outputs             // children's and hooks' output
	reaper    *proc.Reaper         // kills our process groups if reloader dies; nil if none
	watchOpts watcher.Options      // when cfg.Watch
	live      *liveReload          // nil unless cfg.LiveReload
	assets    *assetFilter         // nil without cfg.Assets
}

// New checks cfg, opens the sockets and prepares the private directories.
// The sockets stay open until Run returns (or Close is called if Run is
// never called).
func New(ctx context.Context, cfg Config) (*Supervisor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Supervisor{cfg: cfg, log: cfg.Logger, reload: make(chan string, 1), ready: make(chan struct{}), srv: bare{}}
	s.gens = s
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
		// Looked up where the child runs it (run.dir).
		if _, err := exec.LookPath(s.resolve(cfg.Command[0])); err != nil {
			// Name the command as written; the inner error names the path.
			if ee := (*exec.Error)(nil); errors.As(err, &ee) {
				err = ee.Err
			}
			return nil, fmt.Errorf("%w: command: exec: %q: %w", ErrConfig, cfg.Command[0], err)
		}
	}
	if cfg.Proxy && len(cfg.Listen) == 0 && len(cfg.Inherited) == 0 {
		if cfg.LiveReload {
			return nil, fmt.Errorf("%w: live reload serves the browser through reloader's proxy, which needs an address to listen on: set listen (-l 127.0.0.1:8080)", ErrConfig)
		}
		return nil, fmt.Errorf("%w: proxy needs an address to listen on (-l)", ErrConfig)
	}
	if cfg.LiveReload {
		s.live = newLiveReload(s)
	}
	if cfg.Watch {
		if s.watchOpts, err = s.watcherOptions(); err != nil {
			return nil, err
		}
	}
	s.out = newOutputs(cfg.Stdout, cfg.Stderr, cfg.OutputPrefix)
	if s.shim, err = proc.OpenShim(cfg.Shim); err != nil {
		return nil, fmt.Errorf("supervisor: exec shim: %w", err)
	}
	if proc.InheritFDs {
		if s.reaper, err = proc.StartReaper(s.shim, childEnv(os.Environ()), s.log); err != nil {
			s.log.Warn("no reaper: children may outlive a killed reloader", "err", err)
		}
	}
	if cfg.KillStale {
		if err := s.killStale(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.srv, err = newServer(ctx, cfg, s); err != nil {
		s.srv = bare{}
		s.Close()
		return nil, err
	}
	if s.notifyDir, err = sdnotify.NewDir(); err != nil {
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
func (s *Supervisor) Addrs() []Address { return s.srv.addrs() }

// Reload asks for a rebuild and swap, as SIGHUP does. It never blocks;
// requests that arrive while one is pending merge into it.
func (s *Supervisor) Reload(reason string) {
	select {
	case s.reload <- reason:
	default:
	}
}

// Ready is closed when the first child is ready.
func (s *Supervisor) Ready() <-chan struct{} { return s.ready }

// Serving returns the sockets that serve now, in fd order, for handing to
// another process (a self-upgrade).
func (s *Supervisor) Serving() []ServingSocket { return s.srv.serving() }

// ReleaseInherited drops the hold that Busy inherited sockets keep for the
// process they came from. Call it once that process has exited.
func (s *Supervisor) ReleaseInherited() { s.srv.releaseInherited() }

// Handoff makes Run, when its context ends, drain the serving child as if
// it had been replaced: the sockets now belong to another process that
// steers connections away, so the child's queues are emptied before its
// stop signal.
func (s *Supervisor) Handoff() { s.handoff.Store(true) }

// Close releases the sockets and private directories. Run calls it.
func (s *Supervisor) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run has let requests finish already; here nothing waits
	s.srv.shutdown(ctx)
	s.srv.close()
	if s.notifyDir != "" {
		os.RemoveAll(s.notifyDir)
	}
	if s.ownBuild {
		os.RemoveAll(s.buildDir)
	}
	if s.out != nil {
		s.out.close()
	}
	s.reaper.Close()
	s.shim.Close()
	return nil
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
