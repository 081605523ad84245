//go:build !linux && !darwin

package portdoctor

import "context"

// lookupSockets is not available on this platform.
func lookupSockets(context.Context, string, uint16) ([]sockEntry, error) {
	return nil, ErrNotAvailable
}
