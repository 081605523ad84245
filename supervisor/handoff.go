package supervisor

// ReleaseInherited drops the hold that Busy inherited sockets keep for the
// process they came from. Call it once that process has exited.
func (s *Supervisor) ReleaseInherited() {
	if s.sockets != nil {
		s.sockets.ReleaseInherited()
	}
}

// Serving returns the sockets that serve now, in fd order, for handing to
// another process (a self-upgrade).
func (s *Supervisor) Serving() []ServingSocket {
	if s.sockets == nil {
		return nil
	}
	return s.sockets.Serving()
}

// Handoff makes Run, when its context ends, drain the serving child as if
// it had been replaced: the sockets now belong to another process that
// steers connections away, so the child's queues are emptied before its
// stop signal.
func (s *Supervisor) Handoff() { s.handoff.Store(true) }

// Ready is closed when the first child is ready.
func (s *Supervisor) Ready() <-chan struct{} { return s.ready }
