//go:build !linux

package proc

import (
	"fmt"
	"os"
)

// OpenShim returns the exec shim at path, or, for "", the running
// executable. Without /proc/self/fd it is run by path: replacing the file
// on disk replaces the shim for later children.
func OpenShim(path string) (*Shim, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("proc: find own executable for the exec shim: %w", err)
		}
		path = exe
	}
	return &Shim{path: path}, nil
}
