// Command hello is a tiny HTTP server for trying out reloader.
//
// It listens with listenfd.Listen, so under reloader (or systemd) it serves
// on the inherited socket and reports readiness on its first Accept, and
// when run on its own (go run ./examples/hello) it simply binds the address.
// On SIGTERM or SIGINT it drains: requests it has accepted are answered
// before it exits.
//
// Usage:
//
//	hello [-addr host:port]
//
// The address defaults to $ADDR, or 127.0.0.1:8080.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/reloader-dev/reloader/listenfd"
)

// version is reported in every response; edit it to see a hot swap.
const version = "v1"

func main() {
	defAddr := os.Getenv("ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8080"
	}
	addr := flag.String("addr", defAddr, "listen address (default $ADDR or 127.0.0.1:8080)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("version", version, "pid", os.Getpid())
	if err := run(log, *addr); err != nil {
		log.Error("failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr string) error {
	ln, err := listenfd.Listen("tcp", addr)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from reloader version=%s pid=%d\n", version, os.Getpid())
	})
	d := &listenfd.Drainer{Server: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
	}}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	errc := make(chan error, 1)
	go func() { errc <- d.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal kills the process at once
	log.Info("draining")
	sctx, cancel := context.WithTimeout(context.Background(), listenfd.DefaultShutdownTimeout)
	defer cancel()
	err = d.Shutdown(sctx)
	if err != nil {
		d.Server.Close()
	}
	<-errc // http.ErrServerClosed
	log.Info("stopped")
	return err
}
