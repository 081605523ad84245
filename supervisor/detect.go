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
	if !s.srv.handsOver() || len(s.Addrs()) == 0 || !errors.Is(err, ErrNotReady) {
		return
	}
	if c.pipes != nil {
		c.pipes.wait(500 * time.Millisecond) // its last lines
	}
	addr := s.Addrs()[0].Addr
	switch {
	case c.addrInUse.Load():
		s.emit(AddressInUse{Addr: addr, Printed: true})
	case c.state != nil && time.Since(c.started) < 2*time.Second:
		s.emit(AddressInUse{Addr: addr})
	}
}
