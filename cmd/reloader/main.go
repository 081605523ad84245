// Command reloader is a hot-restart supervisor for Go servers: it owns the
// listening sockets, rebuilds on change while the old server keeps serving,
// and swaps in the new one without refusing a connection.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/reloader-dev/reloader/portdoctor"
	"github.com/reloader-dev/reloader/supervisor"
)

// Exit codes. They are documented in the README.
const (
	exitOK      = 0
	exitError   = 1 // the supervisor failed at run time (a socket could not be opened, ...)
	exitUsage   = 2 // bad flags, config, address or command
	exitShimErr = 127
)

func main() {
	if shim, err := supervisor.RunShimIfRequested(); shim {
		if err == nil {
			os.Exit(exitOK) // the reaper finished
		}
		fmt.Fprintln(os.Stderr, "reloader:", err)
		os.Exit(exitShimErr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes the CLI and maps errors to exit codes. Nothing else exits.
func run(ctx context.Context, args []string) int {
	return runWithIO(ctx, args, defaultIO())
}

func runWithIO(ctx context.Context, args []string, io ioStreams) int {
	cmd := newCmdRoot(io, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.Err)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *exitCodeError
	if errors.As(err, &ce) {
		return ce.code // the command printed its own diagnosis
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "reloader:") {
		msg = "reloader: " + msg
	}
	fmt.Fprintln(io.Err, msg)
	var be *portdoctor.BindError
	if errors.As(err, &be) && be.Report != nil {
		be.Report.FormatDetails(io.Err)
	}
	var ue *usageError
	if errors.As(err, &ue) || isConfigError(err) {
		return exitUsage
	}
	return exitError
}

// usageError marks errors in what the user typed or wrote; they exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func isConfigError(err error) bool {
	return errors.Is(err, supervisor.ErrConfig) || errors.Is(err, supervisor.ErrBadAddress) ||
		errors.Is(err, supervisor.ErrBadGoRun) || errors.Is(err, errConfigFile)
}
