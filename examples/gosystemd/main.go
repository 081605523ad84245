// Command gosystemd is a server that has never heard of reloader: it takes
// its socket with go-systemd's activation package (which ignores the fds
// unless LISTEN_PID is its own pid) and reports readiness with
// daemon.SdNotify. It runs unchanged under systemd and under reloader:
//
//	reloader -l web=127.0.0.1:8080 --ready notify -- go run ./examples/gosystemd
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/activation"
	"github.com/coreos/go-systemd/v22/daemon"
)

const version = "v1"

func main() {
	lns, err := activation.ListenersWithNames()
	if err != nil || len(lns["web"]) != 1 {
		fmt.Fprintf(os.Stderr, "gosystemd: no listener named web: %v %v\n", lns, err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s pid=%d\n", version, os.Getpid())
	})}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	daemon.SdNotify(false, daemon.SdNotifyReady)
	if err := srv.Serve(lns["web"][0]); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "gosystemd:", err)
		os.Exit(1)
	}
	<-stopped // Serve returns at once; Shutdown is still draining
}
