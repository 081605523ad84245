//go:build windows

package proc

import "log/slog"

// StartReaper returns a nil *Reaper: Windows has none, and a killed
// supervisor's children outlive it.
func StartReaper(*Shim, []string, *slog.Logger) (*Reaper, error) { return nil, nil }

func runReaper() {}
