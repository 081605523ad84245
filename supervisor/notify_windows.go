//go:build windows

package supervisor

import "log/slog"

// Windows children get no NOTIFY_SOCKET; readiness falls back to the delay.
type notifySocket struct{ ready chan struct{} }

func newNotifyDir() (string, error) { return "", nil }

func listenNotify(string, int) (*notifySocket, error) { return nil, nil }

func (n *notifySocket) Env() string { return "" }

func (n *notifySocket) serve(int, *slog.Logger) {}

func (n *notifySocket) Close() {}
