package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reloader-dev/reloader/supervisor"
)

// InitOptions are the inputs of `reloader init`.
type InitOptions struct {
	IO     ioStreams
	Main   string // --main: the package to run, e.g. ./cmd/api; "" means find it
	Listen string // --listen: the address to own
	Force  bool   // --force: overwrite an existing file
	Output string // -o: the file to write
}

func newCmdInit(io ioStreams, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented .reloader.toml for this module's main package",
		Long: `Write a commented .reloader.toml that runs the main package of the Go module
in the working directory with go run, on 127.0.0.1:8080 unless --listen says
otherwise. Without --main it writes what reloader runs with no config: the
module root if it is a main package, or the only main package under cmd/.
Otherwise, with several main packages, --main picks one; without it, init asks
when standard input is a terminal and fails otherwise. An existing file is
never overwritten without --force.`,
		Example: "  reloader init\n  reloader init --main ./cmd/api --listen 127.0.0.1:9000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Main, "main", "", "main package to run, e.g. ./cmd/api (default: the only one)")
	cmd.Flags().StringVarP(&opts.Listen, "listen", "l", "127.0.0.1:8080", "address reloader owns and hands to the app")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", DefaultConfigFile, "file to write")
	return cmd
}

// mainPackage is a main package of the module, as go list reports it.
type mainPackage struct {
	ImportPath string
	Rel        string // ./cmd/api, relative to the working directory
}

func initRun(ctx context.Context, opts *InitOptions) error {
	if _, err := supervisor.ParseAddress(opts.Listen); err != nil {
		return &usageError{fmt.Errorf("--listen: %w", err)}
	}
	if _, err := os.Stat(opts.Output); err == nil && !opts.Force {
		return &usageError{fmt.Errorf("%s already exists; use --force to overwrite it", opts.Output)}
	}
	pkg, err := initMain(ctx, opts)
	if err != nil {
		return err
	}
	content := initTemplate(pkg, opts.Listen) + templRule(".")
	if err := os.WriteFile(opts.Output, []byte(content), 0o644); err != nil {
		return fmt.Errorf("reloader: init: %w", err)
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s: runs go run %s on %s\nstart it with: reloader\n", opts.Output, pkg, opts.Listen)
	return nil
}

// initMain picks the package the file runs: --main; else what reloader
// runs with no config (detectMain: the module root, or the only cmd/*
// main), so init writes the same choice; else, among every main package
// of the module, the only one or the one chosen at the prompt.
func initMain(ctx context.Context, opts *InitOptions) (string, error) {
	if opts.Main == "" {
		if z, err := detectMain("."); err == nil {
			return z.Pkg, nil
		}
	}
	pkgs, err := mainPackages(ctx)
	if err != nil {
		return "", err
	}
	return chooseMain(opts, pkgs)
}

// mainPackages lists the main packages at and below the working directory.
func mainPackages(ctx context.Context) ([]mainPackage, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("reloader: init: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-f", "{{.Name}} {{.ImportPath}} {{.Dir}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &usageError{fmt.Errorf("init: go list ./... failed (is this a Go module?): %w\n%s", err, strings.TrimSpace(stderr.String()))}
	}
	var pkgs []mainPackage
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) != 3 || f[0] != "main" {
			continue
		}
		rel, err := filepath.Rel(wd, f[2])
		if err != nil {
			return nil, fmt.Errorf("reloader: init: %w", err)
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && !strings.HasPrefix(rel, "../") {
			rel = "./" + rel
		}
		pkgs = append(pkgs, mainPackage{ImportPath: f[1], Rel: rel})
	}
	if len(pkgs) == 0 {
		return nil, &usageError{errors.New("init: no main package in this module; write the config by hand or add one")}
	}
	return pkgs, nil
}

// chooseMain picks the package to run: --main, the only one, or the one the
// user picks at the prompt.
func chooseMain(opts *InitOptions, pkgs []mainPackage) (string, error) {
	if opts.Main != "" {
		want := strings.TrimSuffix(filepath.ToSlash(opts.Main), "/")
		for _, p := range pkgs {
			if p.Rel == want || p.Rel == "./"+want || p.ImportPath == opts.Main {
				return p.Rel, nil
			}
		}
		return "", &usageError{fmt.Errorf("init: --main %s is not a main package here; main packages: %s", opts.Main, rels(pkgs))}
	}
	if len(pkgs) == 1 {
		return pkgs[0].Rel, nil
	}
	if opts.IO.In == nil || !opts.IO.InTTY {
		return "", &usageError{fmt.Errorf("init: several main packages (%s): choose one with --main", rels(pkgs))}
	}
	fmt.Fprintln(opts.IO.Out, "Several main packages here. Which one should reloader run?")
	for i, p := range pkgs {
		fmt.Fprintf(opts.IO.Out, "  %d) %s\n", i+1, p.Rel)
	}
	in := bufio.NewScanner(opts.IO.In)
	for {
		fmt.Fprintf(opts.IO.Out, "number [1-%d]: ", len(pkgs))
		if !in.Scan() {
			return "", &usageError{errors.New("init: no package chosen")}
		}
		if n, err := strconv.Atoi(strings.TrimSpace(in.Text())); err == nil && n >= 1 && n <= len(pkgs) {
			return pkgs[n-1].Rel, nil
		}
	}
}

func rels(pkgs []mainPackage) string {
	r := make([]string, len(pkgs))
	for i, p := range pkgs {
		r[i] = p.Rel
	}
	return strings.Join(r, ", ")
}

// initTemplate is the commented config for package pkg on listen. Settings
// left at their defaults are commented out, so the file says what can be
// changed without pinning today's defaults.
func initTemplate(pkg, listen string) string {
	return fmt.Sprintf(`# reloader configuration, written by "reloader init".
# Precedence: flags, then RELOADER_* environment variables (RELOADER_RUN_STOP_TIMEOUT
# for run.stop_timeout), then this file, then defaults. "reloader config" prints the
# effective settings and where each comes from. A zero such as "0s" means zero
# (ready_timeout and max_wait: no limit).

# Sockets reloader owns and hands to the app as fds 3, 4, ... (systemd socket
# activation; NAME= sets LISTEN_FDNAMES). Use the listenfd package in the app.
listen = [%q]

# steering = true          # Linux: each child its own socket; new connections go to the ready one
# reuseport = false        # SO_REUSEPORT lets other processes of your user share the port: opt-in
# unix_mode = "0660"       # permission of unix: socket files

# The app. "go run" is built with "go build" and the binary runs directly.
command = ["go", "run", %q]

[build]
# debug = false            # true keeps DWARF for delve
# instrument = true        # Linux: add reloader's hook file to the build (-overlay; your tree is untouched)
# flags = ["-tags=dev"]    # extra go build flags
# env = { CGO_ENABLED = "0" }
# output = "tmp/app"       # where the binary is written (default: a temp dir)
# Or build it yourself and run the result (a string runs in a shell, a list does not):
# command = ["make", "build"]   # then set run.binary and remove command above

[run]
# args = []
# env = { APP_ENV = "dev" }
# dir = "."
# ready: auto = READY=1 on NOTIFY_SOCKET, or still running after ready_delay.
ready = "auto"
# ready_delay = "500ms"
# ready_timeout = "30s"    # "0s" = no limit
# stop_signal = "SIGTERM"
# stop_timeout = "5s"      # "0s" = SIGKILL right after the stop signal

[watch]
# root = "."               # default: the module root
# extensions = [".go"]     # go.mod and go.sum always count
# include = ["**/*.go"]
# exclude = ["tmp/**"]
# gitignore = true
# include_tests = false
# debounce = "50ms"
# max_wait = "2s"         # "0s" = no bound
# poll = false             # for file systems without notifications
# poll_interval = "500ms"

[hooks]
# pre_build = ["go", "generate", "./..."]
# post_swap = "echo swapped to $RELOADER_PID"

[log]
# level = "info"
# format = "text"
# prefix = "[app] "
`, listen, pkg)
}
