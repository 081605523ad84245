package supervisor

import (
	"fmt"
	"os"

	"github.com/reloader-dev/reloader/internal/proc"
)

// generationEnv is set in each child's environment to a value unique to
// the supervisor and the generation. Whatever the child starts inherits it,
// so a daemon that left the child's process group can still be told apart
// once it is reloader's own child (reloader being PID 1 or a child
// subreaper).
const generationEnv = "RELOADER_GENERATION"

// generationMarker is the generationEnv entry of generation gen.
func (s *Supervisor) generationMarker(gen int) string {
	return fmt.Sprintf("%s=%d.%p.%d", generationEnv, os.Getpid(), s, gen)
}

// killOrphans kills what c's generation left outside its process group
// that was reparented to reloader.
func (s *Supervisor) killOrphans(c *child) {
	if pids := proc.KillOrphans(s.generationMarker(c.gen), c.pid); len(pids) > 0 {
		s.log.Info("killed processes the child left behind", "event", "orphans_killed", "pid", c.pid, "orphans", pids)
	}
}
