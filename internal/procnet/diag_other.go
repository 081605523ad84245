//go:build !linux

package procnet

import "errors"

// diag needs Linux's sock_diag.
func diag(string, uint16, []State) ([]Entry, error) {
	return nil, errors.New("procnet: sock_diag is Linux-only")
}
