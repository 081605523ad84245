//go:build linux

package proc

import (
	"fmt"
	"os"
)

// OpenShim opens the exec shim's executable once: path, or, for "", the
// running executable itself (/proc/self/exe, which is the file this process
// runs even after it was replaced or removed on disk).
func OpenShim(path string) (*Shim, error) {
	open := path
	if path == "" {
		open = "/proc/self/exe"
		if exe, err := os.Executable(); err == nil {
			path = exe
		} else {
			path = open
		}
	}
	f, err := os.Open(open)
	if err != nil {
		return nil, fmt.Errorf("proc: open exec shim: %w", err)
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		f.Close() // no /proc: run it by path
		return &Shim{path: path}, nil
	}
	return &Shim{path: path, f: f}, nil
}
