//go:build !linux

package main

import (
	"context"
	"log/slog"
)

// adoptOrphans needs PR_SET_CHILD_SUBREAPER and /proc: Linux only.
func adoptOrphans(context.Context, *slog.Logger, bool) {}
