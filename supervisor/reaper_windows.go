//go:build windows

package supervisor

import "log/slog"

// Windows has no reaper: a killed reloader's children outlive it.
func startReaper(string, *slog.Logger) (*reaper, error) { return nil, nil }

func runReaper() {}
