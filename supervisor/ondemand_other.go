//go:build !linux

package supervisor

import "time"

// listenServer: sockets on demand need SO_PEERCRED and fd passing as
// Linux has them; elsewhere no child gets RELOADER_HOOK_SOCKET.
type listenServer struct{}

func (s *Supervisor) startListenServer(int, *handout, bool) (*listenServer, error) {
	return nil, nil
}

func (*listenServer) env() []string             { return nil }
func (*listenServer) handed() <-chan struct{}   { return nil }
func (*listenServer) accepted() <-chan struct{} { return nil }
func (*listenServer) serve(int)                 {}
func (*listenServer) close()                    {}
func (*listenServer) askedAt() time.Time        { return time.Time{} }
func (*listenServer) asking() bool              { return false }
