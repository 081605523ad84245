//go:build windows

package proc

import (
	"fmt"
	"os"
	"strings"
)

// ParseSignal accepts the names Windows can deliver: KILL and INT map to
// killing the process; others are reported as errors.
func ParseSignal(s string) (os.Signal, error) {
	switch strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "SIG") {
	case "TERM", "INT", "KILL", "15", "2", "9":
		return os.Kill, nil
	}
	return nil, fmt.Errorf("proc: unknown signal %q", s)
}
