package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reloader-dev/reloader/internal/livereload"
	"github.com/reloader-dev/reloader/supervisor"
)

// NotifyOptions are the inputs of `reloader notify reload|css [PATH...]`.
type NotifyOptions struct {
	IO         ioStreams
	Kind       string   // "reload" or "css"
	Paths      []string // as given; "" entries are dropped
	Addr       string   // --addr; "" means the first listen address of the config
	ConfigFile string   // -c; "" means .reloader.toml if present
	// Settings is filled by the command from file, env and -l.
	Settings *settings
}

const notifyLong = `Notify pushes a browser refresh through a running reloader --live-reload,
for external watchers such as a Tailwind or esbuild watcher: "css" swaps
the page's stylesheets in place (those named by PATH, or all when none
matches), "reload" reloads the page. No build runs.

The address is --addr, or else the first listen address (-l, or listen in
.reloader.toml, or RELOADER_LISTEN), as reloader itself resolves it. Only
loopback clients are accepted.`

func newCmdNotify(io ioStreams, runF func(context.Context, *NotifyOptions) error) *cobra.Command {
	opts := &NotifyOptions{IO: io}
	keys := pflag.NewFlagSet("config", pflag.ContinueOnError)
	addConfigFlags(keys)
	cmd := &cobra.Command{
		Use:     "notify reload|css [PATH...]",
		Short:   "Reload the browsers of a running reloader --live-reload, or swap their stylesheets",
		Long:    notifyLong,
		Example: "  reloader notify css static/app.css\n  reloader notify --addr 127.0.0.1:8080 reload",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] != livereload.EvReload && args[0] != livereload.EvCSS {
				return &usageError{fmt.Errorf("notify takes reload or css, then the changed paths")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Kind = args[0]
			for _, p := range args[1:] {
				if p != "" {
					opts.Paths = append(opts.Paths, p)
				}
			}
			s, err := loadConfig(keys, opts.ConfigFile)
			if err != nil {
				return err
			}
			opts.Settings = s
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return notifyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "", "address of the running reloader, HOST:PORT or unix:/PATH (default: the first listen address)")
	cmd.Flags().StringVarP(&opts.ConfigFile, "config", "c", "", "config file (default .reloader.toml in the working directory, if present)")
	cmd.Flags().AddFlag(keys.Lookup("listen"))
	return cmd
}

// notifyTarget returns the network and address to reach: a wildcard host
// becomes loopback.
func notifyTarget(opts *NotifyOptions) (network, addr string, err error) {
	raw := opts.Addr
	if raw == "" {
		l := opts.Settings.list("listen")
		if len(l) == 0 {
			return "", "", &usageError{fmt.Errorf("notify: no address: give --addr 127.0.0.1:PORT, or -l as reloader was started with (no listen in the config)")}
		}
		raw = l[0]
	}
	a, err := supervisor.ParseAddress(raw)
	if err != nil {
		return "", "", &usageError{fmt.Errorf("notify: address %q: %w", raw, err)}
	}
	switch a.Network {
	case "unix":
		return "unix", a.Addr, nil
	case "udp":
		return "", "", &usageError{fmt.Errorf("notify: address %q is udp; reloader's live reload serves HTTP", raw)}
	}
	host, port, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return "", "", &usageError{fmt.Errorf("notify: address %q: %w", raw, err)}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "tcp", net.JoinHostPort(host, port), nil
}

func notifyRun(ctx context.Context, opts *NotifyOptions) error {
	network, addr, err := notifyTarget(opts)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(livereload.NotifyRequest{Kind: opts.Kind, Paths: opts.Paths})
	d := net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, network, addr) },
	}}
	host := addr
	if network == "unix" {
		host = "reloader"
	}
	url := "http://" + host + livereload.NotifyPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("reloader: notify: nothing answers at %s %s (is reloader running there with --live-reload?): %w", network, addr, err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("reloader: notify: %s %s answered %s (is it reloader with --live-reload?): %s", network, addr, res.Status, strings.TrimSpace(string(msg)))
	}
	fmt.Fprintf(opts.IO.Out, "notified %s: %s %s\n", addr, opts.Kind, strings.Join(opts.Paths, " "))
	return nil
}
