//go:build !linux

package proc

// GroupRunnable reports whether group pgid is busy; it needs /proc, so it
// is always false here.
func GroupRunnable(int) bool { return false }
