package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/reloader-dev/reloader/internal/proc"
)

// adoptOrphans makes reloader reap the orphans it inherits until ctx is
// done: as PID 1 (a container's init) it always does; with subreaper set
// it first becomes a child subreaper, so a daemonising grandchild stays
// below it and is stopped with its generation.
func adoptOrphans(ctx context.Context, log *slog.Logger, subreaper bool) {
	if log == nil {
		log = slog.Default()
	}
	if subreaper {
		if err := proc.BecomeSubreaper(); err != nil {
			log.Warn("not a child subreaper: a daemonising grandchild may outlive its generation", "event", "subreaper", "err", err)
			subreaper = false
		}
	}
	if subreaper || os.Getpid() == 1 {
		go proc.ReapOrphans(ctx, log)
	}
}
