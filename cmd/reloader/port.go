package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/reloader-dev/reloader/portdoctor"
)

// Exit codes of `reloader port`. They are documented in the README.
const (
	exitPortInUse        = 3 // EADDRINUSE: another socket holds the address
	exitPortDenied       = 4 // EACCES: a privileged port, or a policy refused it
	exitPortNotAvailable = 5 // EADDRNOTAVAIL: not an address of this host
	exitPortInvalid      = 6 // EINVAL: already bound, or a bad argument
)

// PortOptions are the inputs of `reloader port ADDR`.
type PortOptions struct {
	IO ioStreams
	// Network is "tcp" or "udp"; Addr is "host:port", ":port" or
	// "[::1]:port". Both come from ADDR.
	Network, Addr string
	// Dir is the directory whose earlier reloader runs may have left
	// children behind. "" means the working directory.
	Dir string
	// KillStale ends the process group of a holder that is a child left
	// behind by an earlier reloader run in Dir, then diagnoses again.
	KillStale bool
	// KillWait bounds the wait after SIGTERM before SIGKILL. 0 means
	// portdoctor.DefaultKillWait.
	KillWait time.Duration
}

// exitCodeError carries a command's own exit code. The command has already
// printed what the user needs, so main prints nothing more.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

const portLong = `Port tries to bind ADDR the way reloader does (SO_REUSEADDR, then listen),
closes it again, and explains the result: the errno in plain words, the pid,
user and command line of every process holding the address, TIME_WAIT
sockets and whether they matter, and what to do. It prints the same
diagnosis reloader prints when it cannot bind.

ADDR is host:port, :port, [::1]:port or a bare port, for TCP; prefix it
with udp: for UDP, as in udp:127.0.0.1:5353.

Exit status: 0 the address is free, 3 in use, 4 permission denied,
5 address not available on this host, 6 invalid argument, 1 any other
failure, 2 bad input.`

func newCmdPort(io ioStreams, runF func(context.Context, *PortOptions) error) *cobra.Command {
	opts := &PortOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "port ADDR",
		Short: "Explain who holds an address, or why it cannot be bound",
		Long:  portLong,
		Example: "  reloader port 127.0.0.1:8080\n  reloader port :8080\n  reloader port udp:127.0.0.1:5353\n" +
			"  reloader port --kill-stale :8080   # end a child an earlier reloader run left behind",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{fmt.Errorf("port takes one address, such as 127.0.0.1:8080, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Network, opts.Addr, err = portdoctor.ParseTarget(args[0]); err != nil {
				return &usageError{err}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return portRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.KillStale, "kill-stale", false, "end a holder that a reloader run in this directory left behind (SIGTERM to its process group, then SIGKILL)")
	cmd.Flags().DurationVar(&opts.KillWait, "kill-wait", 0, "with --kill-stale, the wait after SIGTERM before SIGKILL (default 5s)")
	return cmd
}

// portRun prints the diagnosis of opts.Addr and returns an *exitCodeError
// unless the address is free.
func portRun(ctx context.Context, opts *PortOptions) error {
	doc := portdoctor.Options{Dir: opts.Dir}
	r, err := doc.Diagnose(ctx, opts.Network, opts.Addr)
	if err != nil {
		return &usageError{err}
	}
	if opts.KillStale {
		killed := false
		for _, h := range r.Holders {
			if !h.Stale {
				continue
			}
			if err := portdoctor.KillStale(ctx, *h.Child, opts.KillWait); err != nil {
				return err
			}
			fmt.Fprintf(opts.IO.Out, "ended pid %d, a child left behind by an earlier reloader run in this directory\n", h.PID)
			killed = true
		}
		// The kernel may take a moment to release a killed holder's
		// socket: diagnose again, for a bounded time, until it is gone.
		for tries := 0; killed && tries < 100; tries++ {
			if r, err = doc.Diagnose(ctx, opts.Network, opts.Addr); err != nil {
				return err
			}
			if r.Kind != portdoctor.KindInUse {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := r.Format(opts.IO.Out); err != nil {
		return err
	}
	code := exitError
	switch r.Kind {
	case portdoctor.KindNone:
		return nil
	case portdoctor.KindInUse:
		code = exitPortInUse
	case portdoctor.KindPermission:
		code = exitPortDenied
	case portdoctor.KindNotAvailable:
		code = exitPortNotAvailable
	case portdoctor.KindInvalid:
		code = exitPortInvalid
	}
	return &exitCodeError{code, errors.New(r.Summary())}
}
