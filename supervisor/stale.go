package supervisor

import (
	"context"

	"github.com/reloader-dev/reloader/portdoctor"
)

// killStale ends the holders of the Listen addresses that are children an
// earlier reloader run in this directory left behind.
func (s *Supervisor) killStale(ctx context.Context) error {
	doc := portdoctor.Options{Dir: s.dir}
	for _, a := range s.cfg.Listen {
		if a.Network == "unix" {
			continue
		}
		r, err := doc.Diagnose(ctx, a.Network, a.Addr)
		if err != nil {
			continue
		}
		for _, h := range r.Holders {
			if !h.Stale || h.Child == nil {
				continue
			}
			s.emit(StaleKilled{PID: h.PID, Addr: a.Addr})
			if err := portdoctor.KillStale(ctx, *h.Child, s.cfg.StopTimeout); err != nil {
				return err
			}
		}
	}
	return nil
}
