//go:build linux

package main

// stockServer is a small, stock net/http server: about 150 ms of init, a
// plain Serve, and Shutdown on SIGTERM or SIGINT (air sends SIGINT), waiting
// for Shutdown before it exits. Under reloader it takes fd 3 (LISTEN_FDS);
// otherwise it binds $ADDR itself. Like any server using go-systemd's
// daemon.SdNotify, it sends READY=1 to $NOTIFY_SOCKET when that is set.
const stockServer = `package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const version = "v0"

func main() {
	time.Sleep(150 * time.Millisecond) // init: config, database pools, caches
	var ln net.Listener
	var err error
	if os.Getenv("LISTEN_FDS") != "" {
		ln, err = net.FileListener(os.NewFile(3, "listener"))
	} else {
		ln, err = net.Listen("tcp", os.Getenv("ADDR"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s pid=%d\n", version, os.Getpid())
	})}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	notifyReady()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	<-stopped // Serve returns at once; Shutdown is still draining
}

` + notifyReadySrc

// idleServer is the tiny main package of the watch-scale trees: it waits
// for a stop signal. It sends READY=1 when it can, so the endurance child is
// ready at once.
const idleServer = `package main

import (
	"net"
	"os"
	"os/signal"
	"syscall"
)

const version = "v0"

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if addr := os.Getenv("NOTIFY_SOCKET"); addr != "" {
		if c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"}); err == nil {
			c.Write([]byte("READY=1"))
			c.Close()
		}
	}
	<-sig
}
`

// airConfig is air's .air.toml for the baselines: the build the issue
// names, the smallest delay air honours (it replaces 0 with its 1 s
// default), and SIGINT before SIGKILL so the server can shut down.
const airConfig = `root = "."
tmp_dir = "tmp"

[build]
cmd = "go build -o ./tmp/main ."
bin = "./tmp/main"
include_ext = ["go"]
exclude_dir = ["tmp", "vendor", "testdata"]
exclude_regex = ["_test\\.go"]
delay = 1
send_interrupt = true
kill_delay = 5000
stop_on_error = true

[log]
time = false

[misc]
clean_on_exit = true

[screen]
clear_on_rebuild = false
`

// notifyReadySrc is the end of the apps' sources above: notifyReady sends
// READY=1 as go-systemd's daemon.SdNotify does.
const notifyReadySrc = `
// notifyReady sends READY=1 as go-systemd's daemon.SdNotify does.
func notifyReady() {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte("READY=1"))
}
`
