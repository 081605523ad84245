package supervisor

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
)

// ReaperEnv is set in the environment of the reaper process, a copy of
// reloader that outlives it for one purpose: when reloader dies, even by
// SIGKILL, it kills every process group reloader told it about (children
// with their grandchildren, builds with their compilers, hooks).
const ReaperEnv = "RELOADER_REAPER"

// reaper is the supervisor's end of the pipe to the reaper process. The
// zero value (or nil) does nothing, as on platforms without one.
type reaper struct {
	mu  sync.Mutex
	w   io.WriteCloser // nil when no reaper runs
	log *slog.Logger
}

// add tells the reaper about a new process group.
func (r *reaper) add(pgid int) { r.send("+" + strconv.Itoa(pgid)) }

// gone tells the reaper a process group has ended, so a later process
// that reuses the number is never killed.
func (r *reaper) gone(pgid int) { r.send("-" + strconv.Itoa(pgid)) }

func (r *reaper) send(line string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return
	}
	if _, err := fmt.Fprintln(r.w, line); err != nil {
		r.log.Warn("reaper gone; children may outlive a killed reloader", "err", err)
		r.w.Close()
		r.w = nil
	}
}

// close ends the reaper after a clean stop: every group is already gone.
func (r *reaper) close() {
	if r == nil {
		return
	}
	r.send("exit")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil {
		r.w.Close()
		r.w = nil
	}
}
