package listenfd

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Serve serves srv on l until ctx is done, then drains srv without leaving
// any accepted request unanswered (see [Drainer]), waiting at most
// [DefaultShutdownTimeout] for in-flight requests. It returns nil after a
// clean drain. It is shorthand for
//
//	(&Drainer{Server: srv}).Run(ctx, l)
//
// except that calls serving the same srv at the same time (one server on
// several listeners) share one Drainer, so the server's hooks are installed
// once and the drain stops accepting on all of its listeners before it
// shuts the server down. The first call whose ctx is done drains the
// server on every listener.
//
// The usual context stops on SIGTERM (sent by supervisors) or Ctrl-C:
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	err := listenfd.Serve(ctx, srv, ln)
func Serve(ctx context.Context, srv *http.Server, l net.Listener) error {
	if srv == nil {
		return errNoServer
	}
	d := serving.acquire(srv)
	defer serving.release(srv)
	return d.Run(ctx, l)
}

// serving holds the Drainer of every server that Serve is serving, so that
// concurrent Serve calls for one server share it. Serve's signature names
// only the server, so this registry is where such calls meet; an entry
// goes away when the last Serve call for its server returns.
var serving = drainers{m: make(map[*http.Server]*sharedDrainer)}

type drainers struct {
	mu sync.Mutex
	m  map[*http.Server]*sharedDrainer
}

type sharedDrainer struct {
	d     *Drainer
	users int
}

func (r *drainers) acquire(srv *http.Server) *Drainer {
	r.mu.Lock()
	defer r.mu.Unlock()
	sd := r.m[srv]
	if sd == nil {
		sd = &sharedDrainer{d: &Drainer{Server: srv}}
		r.m[srv] = sd
	}
	sd.users++
	return sd.d
}

func (r *drainers) release(srv *http.Server) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sd := r.m[srv]; sd != nil {
		if sd.users--; sd.users == 0 {
			delete(r.m, srv)
		}
	}
}
