package supervisor

// Sockets on demand (issue 14): an app that reloader built with its
// instrumentation asks, over RELOADER_LISTEN, for the socket of each TCP
// address it listens on, and says when it first accepts there. The
// request server of one child generation is listenServer
// (ondemand_linux.go); the protocol is sockets.Request. A nil
// *listenServer serves nothing, and its methods do nothing.

// wantsListenServer reports whether the child started from binary is given
// RELOADER_LISTEN. The instrumented build decides; until then the
// onDemand knob does.
func (s *Supervisor) wantsListenServer(string) bool { return s.cfg.onDemand }
