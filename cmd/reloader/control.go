package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// ControlOptions are the inputs of `reloader reload` and `reloader upgrade`,
// which reach a running `reloader serve` through its pid file.
type ControlOptions struct {
	IO      ioStreams
	Verb    string // "reload" (SIGHUP) or "upgrade" (SIGUSR2)
	PIDFile string
}

func newCmdSignal(io ioStreams, verb string) *cobra.Command {
	opts := &ControlOptions{IO: io, Verb: verb}
	short := map[string]string{
		"reload":  "Make a running `reloader serve` swap to a new child (SIGHUP)",
		"upgrade": "Make a running `reloader serve` upgrade itself with zero downtime (SIGUSR2)",
	}[verb]
	cmd := &cobra.Command{
		Use:   verb + " --pid-file FILE",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return controlRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.PIDFile, "pid-file", "", "the pid file `reloader serve --pid-file` writes (required)")
	return cmd
}

func controlRun(opts *ControlOptions) error {
	if opts.PIDFile == "" {
		return &usageError{fmt.Errorf("%s: --pid-file is required", opts.Verb)}
	}
	b, err := os.ReadFile(opts.PIDFile)
	if err != nil {
		return fmt.Errorf("reloader: %s: %w", opts.Verb, err)
	}
	fi, err := os.Stat(opts.PIDFile)
	if err != nil {
		return fmt.Errorf("reloader: %s: %w", opts.Verb, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("reloader: %s: %s does not hold a pid: %q", opts.Verb, opts.PIDFile, strings.TrimSpace(string(b)))
	}
	// A pid file left behind by a reloader that is gone may name anything.
	if err := checkServePID(pid, fi.ModTime()); err != nil {
		return fmt.Errorf("reloader: %s: %s: %w", opts.Verb, opts.PIDFile, err)
	}
	if err := signalServe(pid, opts.Verb); err != nil {
		return fmt.Errorf("reloader: %s: pid %d (from %s): %w", opts.Verb, pid, opts.PIDFile, err)
	}
	fmt.Fprintf(opts.IO.Out, "sent %s to reloader pid %d\n", opts.Verb, pid)
	return nil
}
