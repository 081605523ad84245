package supervisor

import (
	"fmt"
	"net"
	"syscall"

	"github.com/reloader-dev/reloader/listenfd"
)

// SocketsFromEnv returns the sockets systemd socket activation passed to
// this process (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES), ready for
// Config.Inherited; nil when none were passed. It scrubs those variables
// from the environment, so they never reach a child as they are.
func SocketsFromEnv() ([]InheritedSocket, error) {
	files, err := listenfd.Files()
	if err != nil {
		return nil, fmt.Errorf("supervisor: socket activation: %w", err)
	}
	var out []InheritedSocket
	for _, f := range files {
		name := f.Name()
		var in InheritedSocket
		if ln, err := net.FileListener(f); err == nil {
			in = InheritedSocket{Address: Address{Name: name, Network: ln.Addr().Network(), Addr: ln.Addr().String()}, Conn: ln.(syscall.Conn)}
		} else if pc, perr := net.FilePacketConn(f); perr == nil {
			in = InheritedSocket{Address: Address{Name: name, Network: pc.LocalAddr().Network(), Addr: pc.LocalAddr().String()}, Conn: pc.(syscall.Conn)}
		} else {
			f.Close()
			return nil, fmt.Errorf("supervisor: socket activation: %s: %w", name, err)
		}
		f.Close()
		out = append(out, in)
	}
	return out, nil
}
