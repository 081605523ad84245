package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reloader-dev/reloader/supervisor"
)

// RootOptions are the inputs of `reloader [flags] -- COMMAND...`.
type RootOptions struct {
	IO         ioStreams
	ConfigFile string   // -c; "" means .reloader.toml if present
	Command    []string // after --; empty means the config's command
	// Config is filled by the command from file, env and flags.
	Config supervisor.Config
	// Ready, if set, is called with the supervisor once its sockets are open.
	Ready func(*supervisor.Supervisor)
}

const rootLong = `reloader runs your Go server, rebuilds it when you edit a file, and swaps in
the new build without refusing a single connection.

It owns the listening sockets and hands them to each new server with the
systemd socket-activation protocol (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES),
waits until the new server is ready (READY=1 on NOTIFY_SOCKET, or up for
ready_delay), then stops the old one. A failed build, or a new server that
dies before it is ready, never replaces the one serving.

Wrapping "go run" builds the binary and runs it directly, so the server is
reloader's child, never a grandchild. Settings come from .reloader.toml, then
RELOADER_* environment variables, then flags. With no config file and no
command, reloader runs go run . when the module root is a main package, or
go run ./cmd/NAME when that is the only main package under cmd/.`

func newCmdRoot(io ioStreams, runF func(context.Context, *RootOptions) error) *cobra.Command {
	opts := &RootOptions{IO: io}
	cmd := &cobra.Command{
		Use:           "reloader [flags] [-- COMMAND [ARGS...]]",
		Short:         "Hot-restart supervisor for Go servers that never refuses a connection",
		Long:          rootLong,
		Example:       "  reloader -l 127.0.0.1:8080 -- go run ./cmd/api\n  reloader            # runs what .reloader.toml says; with none, the module's main package",
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if at := cmd.ArgsLenAtDash(); at > 0 {
				return &usageError{fmt.Errorf("unexpected arguments before --: %s", strings.Join(args[:at], " "))}
			}
			opts.Command = args
			s, err := loadConfig(cmd.Flags(), opts.ConfigFile)
			if err != nil {
				return err
			}
			s.args = opts.Command
			if opts.Config, err = buildConfig(s, io); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return rootRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&opts.ConfigFile, "config", "c", "", "config file (default .reloader.toml in the working directory, if present)")
	addConfigFlags(cmd.Flags())
	cmd.AddCommand(newCmdVersion(io), newCmdInit(io, nil), newCmdConfig(io, nil), newCmdPort(io, nil),
		newCmdServe(io, nil), newCmdSignal(io, "reload"), newCmdSignal(io, "upgrade"))
	cmd.AddCommand(newCmdNotify(io, nil))
	return cmd
}

// rootRun runs the supervisor until ctx is done. SIGHUP forces a rebuild.
func rootRun(ctx context.Context, opts *RootOptions) error {
	// Before anything slow: a SIGHUP during start-up must not kill reloader.
	early := notifyEarly(opts.Config.Logger, syscall.SIGHUP)
	defer early.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Orphans are reaped until Run has stopped every child, not only until
	// ctx ends: the last generation's stop waits for its process group.
	reapCtx, stopReaping := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReaping()
	adoptOrphans(reapCtx, opts.Config.Logger, true)
	cfg, err := inheritFromSystemd(opts.Config)
	if err != nil {
		return err
	}
	s, err := supervisor.New(ctx, cfg)
	if err != nil {
		return err
	}
	if opts.Ready != nil {
		opts.Ready(s)
	}
	hup := early.started()
	go func() {
		for {
			select {
			case <-hup:
				s.Reload("SIGHUP")
			case <-ctx.Done():
				return
			}
		}
	}()
	return s.Run(ctx)
}
