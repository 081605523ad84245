package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ConfigOptions are the inputs of `reloader config`.
type ConfigOptions struct {
	IO         ioStreams
	ConfigFile string   // -c; "" means .reloader.toml if present
	Command    []string // after --, as for the root command
	// Settings is filled by the command from file, env and flags.
	Settings *settings
}

func newCmdConfig(io ioStreams, runF func(context.Context, *ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "config [flags] [-- COMMAND [ARGS...]]",
		Short: "Print the effective configuration and where each value comes from",
		Long: `Print every setting as reloader would use it, one dotted key per line, with
where its value comes from: a flag, a RELOADER_* environment variable, the
config file (with its line) or the default. The output is itself a valid
.reloader.toml. Takes the same flags as reloader itself.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Command = args
			s, err := loadConfig(cmd.Flags(), opts.ConfigFile)
			if err != nil {
				return err
			}
			s.args = args
			opts.Settings = s
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return configRun(opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&opts.ConfigFile, "config", "c", "", "config file (default .reloader.toml in the working directory, if present)")
	addConfigFlags(cmd.Flags())
	return cmd
}

// configRun prints the settings, then checks them as reloader would.
func configRun(opts *ConfigOptions) error {
	s := opts.Settings
	if f := s.fileName(); f != "" {
		fmt.Fprintf(opts.IO.Out, "# config file: %s\n", f)
	} else {
		fmt.Fprintf(opts.IO.Out, "# no config file (%s not found)\n", DefaultConfigFile)
	}
	lines := make([][2]string, 0, len(configKeys))
	width := 0
	for _, k := range configKeys {
		kv := k.Key + " = " + s.tomlValue(k.Key)
		width = max(width, len(kv))
		lines = append(lines, [2]string{kv, s.origin(k.Key)})
	}
	width = min(width, 56)
	for _, l := range lines {
		fmt.Fprintf(opts.IO.Out, "%-*s # %s\n", width, l[0], l[1])
	}
	if s.file != nil {
		writeRules(opts.IO.Out, s.file)
	}
	printAppEnv(opts.IO.Out, s)
	_, err := buildConfig(s, ioStreams{Out: io.Discard, Err: io.Discard})
	if errors.Is(err, errNothingToRun) {
		return nil // printing the settings of an empty directory is fine
	}
	return err
}
