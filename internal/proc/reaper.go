package proc

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
)

// ReaperEnv is set in the environment of the reaper process, a copy of the
// running executable that outlives it for one purpose: when the supervisor
// dies, even by SIGKILL, the reaper kills every process group it was told
// about (children with their grandchildren, builds with their compilers,
// hooks).
const ReaperEnv = "RELOADER_REAPER"

// Reaper is the supervisor's end of the pipe to the reaper process. The
// zero value, and a nil *Reaper, do nothing, as on platforms without one.
// Its methods are safe for concurrent use.
type Reaper struct {
	mu  sync.Mutex
	w   io.WriteCloser // nil when no reaper runs
	log *slog.Logger
}

// Add tells the reaper about a new process group.
func (r *Reaper) Add(pgid int) { r.send("+" + strconv.Itoa(pgid)) }

// Gone tells the reaper a process group has ended, so a later process
// that reuses the number is never killed.
func (r *Reaper) Gone(pgid int) { r.send("-" + strconv.Itoa(pgid)) }

func (r *Reaper) send(line string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w == nil {
		return
	}
	if _, err := fmt.Fprintln(r.w, line); err != nil {
		if r.log != nil {
			r.log.Warn("reaper gone; children may outlive a killed reloader", "err", err)
		}
		r.w.Close()
		r.w = nil
	}
}

// Close ends the reaper after a clean stop, when every group is already
// gone; it kills none of them.
func (r *Reaper) Close() {
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
