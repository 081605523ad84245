package supervisor

// Sockets on demand (issue 14): an app that reloader built with its
// instrumentation asks, over RELOADER_HOOK_SOCKET, for the socket of each TCP
// address it listens on, and says when it first accepts there. The
// request server of one child generation is listenServer
// (ondemand_linux.go); the protocol is sockets.Request. A nil
// *listenServer serves nothing, and its methods do nothing.

// listenEnvVar names the request socket in a child's environment. reloader
// never passes its own on.
const listenEnvVar = "RELOADER_HOOK_SOCKET"

// wantsListenServer reports whether a child is given RELOADER_HOOK_SOCKET: when
// its binary carries the hook file (instrumented), or always with the
// tests' onDemand knob.
func (s *Supervisor) wantsListenServer(instrumented bool) bool {
	return instrumented || s.cfg.onDemand
}
