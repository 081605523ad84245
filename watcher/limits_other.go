//go:build !linux

package watcher

import "fmt"

// watchError wraps an error from adding a watch for dir. Only Linux has
// watch limits with a dedicated error; see limits_linux.go.
func watchError(dir string, err error) error {
	return fmt.Errorf("watcher: watch %s: %w", dir, err)
}

// newWatcherError wraps an error from creating the OS watcher. Only Linux has
// an instance limit with a dedicated error.
func newWatcherError(err error) error { return fmt.Errorf("watcher: %w", err) }
