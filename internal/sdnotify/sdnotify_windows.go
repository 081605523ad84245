//go:build windows

package sdnotify

import "log/slog"

// Socket would be one child's NOTIFY_SOCKET. Windows children get none:
// Listen returns a nil *Socket, and readiness falls back to a delay.
type Socket struct{}

// NewDir makes no directory on Windows and returns "".
func NewDir() (string, error) { return "", nil }

// Listen returns a nil *Socket on Windows.
func Listen(string, int) (*Socket, error) { return nil, nil }

// Env returns "": the child gets no NOTIFY_SOCKET.
func (n *Socket) Env() string { return "" }

// Ready returns nil, a channel that is never closed.
func (n *Socket) Ready() <-chan struct{} { return nil }

// Serve returns at once.
func (n *Socket) Serve(int, *slog.Logger) {}

// Close does nothing.
func (n *Socket) Close() {}
