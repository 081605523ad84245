package supervisor

import "strings"

// recordChild notes a started child in the working directory's
// portdoctor.Registry, so that a later reloader run can name it if this one
// dies and leaves it behind. Failures are logged at debug level only.
func (s *Supervisor) recordChild(pid int, argv []string) {
	if s.children == nil {
		return
	}
	if err := s.children.Add(pid, strings.Join(argv, " ")); err != nil {
		s.log.Debug("cannot record child", "pid", pid, "err", err)
	}
}

// forgetChild drops the record of a child that has exited.
func (s *Supervisor) forgetChild(pid int) {
	if s.children == nil {
		return
	}
	if err := s.children.Remove(pid); err != nil {
		s.log.Debug("cannot forget child", "pid", pid, "err", err)
	}
}
