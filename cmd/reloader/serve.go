package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reloader-dev/reloader/supervisor"
)

// ServeOptions are the inputs of `reloader serve [flags] -- BINARY [ARGS...]`.
type ServeOptions struct {
	IO         ioStreams
	ConfigFile string
	Command    []string
	// PIDFile is written with reloader's pid once its child is ready, and
	// rewritten by the new reloader after a self-upgrade. "" means none.
	PIDFile string
	// WatchBinary swaps when the binary file is replaced (a deploy that
	// renames a new build into place).
	WatchBinary bool
	// UpgradeTimeout bounds a self-upgrade: the new reloader must be ready
	// within it or the old one keeps serving.
	UpgradeTimeout time.Duration
	Config         supervisor.Config
}

const serveLong = `serve runs a built binary on reloader's sockets for staging and production:
no watching and no building. Every swap works as in development: the new
child starts on its own socket, becomes ready, connections are steered to
it, and the old child drains.

It swaps on SIGHUP (or 'reloader reload'), and when the binary file is
replaced if --watch-binary is set. A child that crashes is restarted with
capped exponential backoff. SIGUSR2 (or 'reloader upgrade') upgrades
reloader itself with zero downtime: the new reloader binary starts, inherits
the sockets, starts its own child and becomes ready; only then does the old
reloader drain its child and exit. If the new one fails, the old one keeps
serving.

reloader serve also accepts sockets from systemd socket activation
(LISTEN_FDS) and hands them on to its child.`

func newCmdServe(io ioStreams, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: io}
	cmd := &cobra.Command{
		Use:     "serve [flags] -- BINARY [ARGS...]",
		Short:   "Run a built server with zero-downtime swaps and self-upgrade",
		Long:    serveLong,
		Example: "  reloader serve -l 0.0.0.0:8080 --pid-file /run/app/reloader.pid -- ./bin/api\n  kill -HUP $(cat /run/app/reloader.pid)   # or: reloader reload --pid-file ...",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if at := cmd.ArgsLenAtDash(); at > 0 {
				return &usageError{fmt.Errorf("unexpected arguments before --: %s", strings.Join(args[:at], " "))}
			}
			s, err := loadConfig(cmd.Flags(), opts.ConfigFile)
			if err != nil {
				return err
			}
			s.args = args
			if opts.Config, err = buildConfig(s, io); err != nil {
				return err
			}
			if _, isGoRun, _ := supervisor.ParseGoRun(opts.Config.Command); isGoRun {
				return &usageError{fmt.Errorf("serve runs a built binary; build it first (go build -o bin/app ./cmd/app) and serve that")}
			}
			opts.Command = opts.Config.Command
			opts.Config.Watch = false
			opts.Config.RestartOnCrash = true
			opts.Config.WatchBinary = opts.WatchBinary
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&opts.ConfigFile, "config", "c", "", "config file (default .reloader.toml in the working directory, if present)")
	cmd.Flags().StringVar(&opts.PIDFile, "pid-file", "", "write reloader's pid here once serving (kept right across self-upgrades, for systemd's PIDFile=)")
	cmd.Flags().BoolVar(&opts.WatchBinary, "watch-binary", false, "swap when the binary file is replaced")
	cmd.Flags().DurationVar(&opts.UpgradeTimeout, "upgrade-timeout", time.Minute, "how long a self-upgrade may take before the old reloader gives up on it")
	addConfigFlags(cmd.Flags())
	return cmd
}
