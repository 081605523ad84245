//go:build !linux

package proc

// ListenProbeWorks is false: only Linux shows what a process waits on.
const ListenProbeWorks = false

// SocketInodes returns nothing outside Linux.
func SocketInodes([]int) (map[uint64]bool, error) { return nil, nil }

// ProbeListen returns "": outside Linux nothing is seen.
func ProbeListen(int, map[uint64]bool, Scope) string { return "" }
