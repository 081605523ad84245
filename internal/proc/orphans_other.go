//go:build !linux

package proc

import (
	"context"
	"errors"
	"log/slog"
)

// BecomeSubreaper is Linux-only (PR_SET_CHILD_SUBREAPER).
func BecomeSubreaper() error { return errors.New("proc: child subreaper is Linux-only") }

// ReapOrphans does nothing outside Linux: it returns when ctx is done.
func ReapOrphans(ctx context.Context, _ *slog.Logger) { <-ctx.Done() }

// KillOrphans finds no orphans outside Linux.
func KillOrphans(string, int) []int { return nil }
