package supervisor

import (
	"context"
	"time"

	"github.com/reloader-dev/reloader/internal/proc"
)

// listenProbeEvery is how often waitReady looks in /proc at the epoll
// sets of a child that was handed sockets, while it waits for it. Every
// acceptProbeEvery-th look also reads its threads' syscalls, and every
// groupProbeEvery-th takes in its whole process group, which means
// scanning every process: both cost milliseconds.
const (
	listenProbeEvery = 10 * time.Millisecond
	acceptProbeEvery = 5
	groupProbeEvery  = 10
)

// watchListen returns a channel that yields the rule (proc.UseAccept or
// proc.UseEpoll) once a process of c's group is blocked in accept on a
// socket c was handed, or has one registered in an epoll set: c's epoll
// sets at every look, its threads every acceptProbeEvery looks, the rest
// of its group (an app behind `sh -c`) every groupProbeEvery looks. It yields
// nothing until then, and never once ctx is done or c has exited. It
// returns nil where nothing can be seen: no socket was handed over, or
// the platform has no /proc.
func watchListen(ctx context.Context, c *child) <-chan string {
	if !proc.ListenProbeWorks || c.handout == nil || len(c.handout.fds) == 0 {
		return nil
	}
	inodes, err := proc.SocketInodes(c.handout.fds)
	if err != nil || len(inodes) == 0 {
		return nil
	}
	out := make(chan string, 1)
	go func() {
		t := time.NewTicker(listenProbeEvery)
		defer t.Stop()
		for i := 0; ; i++ {
			scope := proc.Scope{Accept: i%acceptProbeEvery == acceptProbeEvery-1, Group: i%groupProbeEvery == groupProbeEvery-1}
			if via := proc.ProbeListen(c.pid, inodes, scope); via != "" {
				out <- via
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-c.done:
				return
			case <-t.C:
			}
		}
	}()
	return out
}
