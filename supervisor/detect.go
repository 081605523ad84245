package supervisor

import (
	"errors"
	"time"
)

// explainFailedStart tells the user, in one line plus the two fixes, when a
// new child that failed to become ready most likely tried to bind an
// address reloader holds: it printed "address already in use", or it exited
// right after starting while reloader holds sockets.
func (s *Supervisor) explainFailedStart(c *child, err error) {
	if s.proxy != nil || s.sockets == nil || len(s.Addrs()) == 0 || !errors.Is(err, ErrNotReady) {
		return
	}
	if c.pipes != nil {
		c.pipes.wait(500 * time.Millisecond) // its last lines
	}
	addr := s.Addrs()[0]
	fixes := []any{
		"addr", addr.Addr,
		"fix_listenfd", `take the socket reloader hands over: ln, err := listenfd.Listen("tcp", "` + addr.Addr + `") instead of net.Listen (github.com/reloader-dev/reloader/listenfd)`,
		"fix_proxy", "or run reloader with --proxy: the app binds the private port in $PORT and reloader proxies to it",
	}
	switch {
	case c.addrInUse.Load():
		s.log.Error("the app binds an address reloader already holds (address already in use)", fixes...)
	case c.state != nil && time.Since(c.started) < 2*time.Second:
		s.log.Warn("the app exited right after starting while reloader holds its address; if it binds that address itself", fixes...)
	}
}
