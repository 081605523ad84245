package portdoctor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Child is a process a reloader run started, as the Registry records it.
type Child struct {
	// PID is the child's pid; it leads its own process group.
	PID int `json:"pid"`
	// Start is the child's start time (Linux: clock ticks after boot, field
	// 22 of /proc/<pid>/stat; macOS: microseconds since the epoch). A pid
	// whose start time differs is another process. 0 means unknown: the
	// pid alone is trusted.
	Start uint64 `json:"start"`
	// Cmdline is what the child runs, for messages; "" if unknown.
	Cmdline string `json:"cmdline,omitempty"`
	// Owner is the pid of the reloader that started the child.
	Owner int `json:"owner"`
	// OwnerStart is the Owner's start time, as Start; 0 means unknown.
	OwnerStart uint64 `json:"owner_start"`
	// Recorded is when the child was recorded.
	Recorded time.Time `json:"recorded"`
}

// Running reports whether the recorded child still runs (same pid and start
// time, not a zombie).
func (c Child) Running() bool { return running(c.PID, c.Start) }

// OwnerRunning reports whether the reloader that recorded the child still
// runs. A running child whose owner does not was left behind.
func (c Child) OwnerRunning() bool { return running(c.Owner, c.OwnerStart) }

func running(pid int, start uint64) bool {
	now, ok := procStart(pid)
	return ok && (start == 0 || now == start)
}

// Registry records the children reloader runs in one working directory
// start, so a later run can name those left behind. The file is
// $XDG_RUNTIME_DIR/reloader/children-<hash>.json, or under
// os.UserCacheDir() when XDG_RUNTIME_DIR is unset; <hash> is derived from
// Dir. Writes replace the file atomically; two reloader runs recording in
// the same directory at the same instant may lose one record.
//
// A Registry serializes its own updates; it must not be copied after use.
type Registry struct {
	// Dir is the absolute working directory the records belong to.
	Dir string
	// Path is the record file.
	Path string

	mu sync.Mutex
}

type registryFile struct {
	Dir      string  `json:"dir"`
	Children []Child `json:"children"`
}

// OpenRegistry returns the registry of dir; "" means the current
// directory. It creates nothing until a child is recorded.
func OpenRegistry(dir string) (*Registry, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("portdoctor: registry: %w", err)
	}
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		if base, err = os.UserCacheDir(); err != nil {
			return nil, fmt.Errorf("portdoctor: registry: %w", err)
		}
	}
	sum := sha256.Sum256([]byte(abs))
	name := "children-" + hex.EncodeToString(sum[:8]) + ".json"
	return &Registry{Dir: abs, Path: filepath.Join(base, "reloader", name)}, nil
}

// Children returns every recorded child, running or not. A missing file is
// no children.
func (r *Registry) Children() ([]Child, error) {
	b, err := os.ReadFile(r.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("portdoctor: registry: %w", err)
	}
	var f registryFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("portdoctor: registry %s: %w", r.Path, err)
	}
	if f.Dir != r.Dir {
		return nil, nil // another directory with the same hash prefix
	}
	return f.Children, nil
}

// Stale returns the recorded children that still run although the reloader
// that started them does not.
func (r *Registry) Stale() ([]Child, error) {
	all, err := r.Children()
	var out []Child
	for _, c := range all {
		if c.Running() && !c.OwnerRunning() {
			out = append(out, c)
		}
	}
	return out, err
}

// Add records pid as a child of this process, with both start times.
func (r *Registry) Add(pid int, cmdline string) error {
	start, _ := procStart(pid)
	ownerStart, _ := procStart(os.Getpid())
	return r.Record(Child{PID: pid, Start: start, Cmdline: cmdline, Owner: os.Getpid(), OwnerStart: ownerStart, Recorded: time.Now()})
}

// Record stores c, replacing any record of the same pid, and drops records
// of children that no longer run.
func (r *Registry) Record(c Child) error {
	return r.update(func(cs []Child) []Child {
		return append(cs, c)
	}, c.PID)
}

// Remove drops the record of pid, and of children that no longer run.
func (r *Registry) Remove(pid int) error {
	return r.update(func(cs []Child) []Child { return cs }, pid)
}

func (r *Registry) update(add func([]Child) []Child, pid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old, err := r.Children()
	if err != nil {
		old = nil // a corrupt file is replaced
	}
	var keep []Child
	for _, c := range old {
		if c.PID != pid && c.Running() {
			keep = append(keep, c)
		}
	}
	keep = add(keep)
	if len(keep) == 0 {
		if err := os.Remove(r.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("portdoctor: registry: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(registryFile{Dir: r.Dir, Children: keep}, "", "  ")
	if err != nil {
		return fmt.Errorf("portdoctor: registry: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o700); err != nil {
		return fmt.Errorf("portdoctor: registry: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.Path), ".children-*.tmp")
	if err != nil {
		return fmt.Errorf("portdoctor: registry: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("portdoctor: registry: %w", err)
	}
	if err := os.Rename(tmp.Name(), r.Path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("portdoctor: registry: %w", err)
	}
	return nil
}

// ErrOwnerRunning is wrapped by KillStale when the child's reloader still
// runs: the child is not stale.
var ErrOwnerRunning = errors.New("portdoctor: the child's reloader is still running")

// DefaultKillWait is how long KillStale waits after SIGTERM when wait is 0.
const DefaultKillWait = 5 * time.Second

// KillStale ends a child left behind: SIGTERM to its process group, up to
// wait (0 means DefaultKillWait) for it to exit, then SIGKILL. It refuses a
// child whose reloader still runs, and does nothing for a child already
// gone (or whose pid now belongs to another process).
func KillStale(ctx context.Context, c Child, wait time.Duration) error {
	if !c.Running() {
		return nil
	}
	if c.OwnerRunning() {
		return fmt.Errorf("%w: pid %d belongs to reloader pid %d", ErrOwnerRunning, c.PID, c.Owner)
	}
	if wait <= 0 {
		wait = DefaultKillWait
	}
	if err := terminate(c.PID); err != nil {
		return err
	}
	if waitGone(ctx, c, wait) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("portdoctor: kill stale pid %d: %w", c.PID, err)
	}
	if err := kill(c.PID); err != nil {
		return err
	}
	if waitGone(ctx, c, 2*time.Second) {
		return nil
	}
	return fmt.Errorf("portdoctor: pid %d still runs after SIGKILL", c.PID)
}

// waitGone polls until c no longer runs, for at most d.
func waitGone(ctx context.Context, c Child, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for c.Running() {
		select {
		case <-tick.C:
		case <-deadline.C:
			return !c.Running()
		case <-ctx.Done():
			return !c.Running()
		}
	}
	return true
}
