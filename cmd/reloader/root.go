package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

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
RELOADER_* environment variables, then flags.`

func newCmdRoot(io ioStreams, runF func(context.Context, *RootOptions) error) *cobra.Command {
	opts := &RootOptions{IO: io}
	cmd := &cobra.Command{
		Use:           "reloader [flags] [-- COMMAND [ARGS...]]",
		Short:         "Hot-restart supervisor for Go servers that never refuses a connection",
		Long:          rootLong,
		Example:       "  reloader -l 127.0.0.1:8080 -- go run ./cmd/api\n  reloader            # runs what .reloader.toml says",
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if at := cmd.ArgsLenAtDash(); at > 0 {
				return &usageError{fmt.Errorf("unexpected arguments before --: %s", strings.Join(args[:at], " "))}
			}
			opts.Command = args
			v, file, err := loadConfig(cmd.Flags(), opts.ConfigFile)
			if err != nil {
				return err
			}
			if opts.Config, err = buildConfig(v, file, opts.Command, io); err != nil {
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
	cmd.AddCommand(newCmdVersion(io), newCmdPort(io, nil), newCmdServe(io, nil), newCmdSignal(io, "reload"), newCmdSignal(io, "upgrade"))
	return cmd
}

// buildConfig turns the layered settings into a supervisor.Config.
func buildConfig(v *viper.Viper, file string, command []string, io ioStreams) (supervisor.Config, error) {
	var c supervisor.Config
	var err error
	if len(command) == 0 {
		switch x := v.Get("command").(type) {
		case string:
			command = strings.Fields(x)
		default:
			command = v.GetStringSlice("command")
		}
	}
	if len(command) == 0 {
		where := "no " + DefaultConfigFile + " here"
		if file != "" {
			where = file + " sets no command"
		}
		return c, &usageError{fmt.Errorf("nothing to run (%s): use reloader [flags] -- COMMAND, e.g. reloader -l 127.0.0.1:8080 -- go run ./cmd/api", where)}
	}
	c.Command = command
	if c.Listen, err = supervisor.ParseAddresses(stringList(v, "listen")); err != nil {
		return c, fmt.Errorf("listen: %w", err)
	}
	c.ReusePort = v.GetBool("reuseport")
	c.KillStale = v.GetBool("kill_stale")
	c.Proxy = v.GetBool("proxy.enabled")
	c.ProxyPortEnv = v.GetString("proxy.port_env")
	c.NoSteering = !v.GetBool("steering")
	c.Watch = v.GetBool("watch.enabled")
	c.WatchRoot = v.GetString("watch.root")
	c.Debug = v.GetBool("build.debug")
	for key, dst := range map[string]*time.Duration{
		"watch.debounce":    &c.Debounce,
		"run.stop_timeout":  &c.StopTimeout,
		"run.ready_timeout": &c.ReadyTimeout,
		"run.ready_delay":   &c.ReadyDelay,
		"proxy.hold":        &c.ProxyHold,
		"bind_wait":         &c.BindWait,
	} {
		if *dst, err = duration(v, key); err != nil {
			return c, err
		}
	}
	if c.StopSignal, err = supervisor.ParseSignal(v.GetString("run.stop_signal")); err != nil {
		return c, fmt.Errorf("%w: run.stop_signal: %w", errConfigFile, err)
	}
	c.Ready = supervisor.ReadyMode(v.GetString("run.ready"))
	c.Restart = supervisor.RestartMode(v.GetString("run.restart"))
	if c.Logger, err = newLogger(io, v.GetString("log.level"), v.GetString("log.format")); err != nil {
		return c, err
	}
	return c, nil
}

func newLogger(io ioStreams, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: log.level: %q is not debug, info, warn or error", errConfigFile, level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(io.Err, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(io.Err, hopts)), nil
	}
	return nil, fmt.Errorf("%w: log.format: %q is not text or json", errConfigFile, format)
}

// rootRun runs the supervisor until ctx is done. SIGHUP forces a rebuild.
func rootRun(ctx context.Context, opts *RootOptions) error {
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
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
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
