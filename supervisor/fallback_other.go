//go:build !linux

package supervisor

// groupListens returns nil: outside Linux who listens where is not looked
// up, and the old child being alive stands in for it.
func groupListens(int) map[uint16]string { return nil }
