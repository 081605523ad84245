package listenfd

import (
	"context"
	"net"
	"net/http"
)

// Serve serves srv on every listener in ls until ctx is done, then drains
// srv without leaving any accepted request unanswered (see [Drainer]),
// waiting at most [DefaultShutdownTimeout] for in-flight requests. It
// returns nil after a clean drain. It is shorthand for
//
//	(&Drainer{Server: srv}).Run(ctx, ls...)
//
// To serve one server on several listeners (HTTP on two ports, say), pass
// them all to one call: the server's hooks are installed once, and the
// drain stops accepting on all of them before it shuts the server down.
// Calling Serve twice at once for the same server is not supported.
//
// The usual context stops on SIGTERM (sent by supervisors) or Ctrl-C:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err := listenfd.Serve(ctx, srv, ln)
func Serve(ctx context.Context, srv *http.Server, ls ...net.Listener) error {
	if srv == nil {
		return errNoServer
	}
	return (&Drainer{Server: srv}).Run(ctx, ls...)
}
