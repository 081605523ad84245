package listenfd_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/reloader-dev/reloader/listenfd"
)

// The one-line change: listenfd.Listen instead of net.Listen. Under a
// supervisor it returns the inherited socket; standalone, as here, it binds
// the address. Serve drains the server once ctx is done.
func ExampleListen() {
	ln, err := listenfd.Listen("tcp", "127.0.0.1:0") // was: net.Listen("tcp", ...)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})}

	ctx, stop := context.WithCancel(context.Background())
	go func() {
		defer stop() // stop the server after one request
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			log.Print(err)
			return
		}
		defer resp.Body.Close()
		io.Copy(os.Stdout, resp.Body)
	}()
	err = listenfd.Serve(ctx, srv, ln)
	fmt.Println("drained:", err)
	// Output:
	// hello
	// drained: <nil>
}

// A typical main: serve until SIGTERM (sent by reloader and systemd) or
// Ctrl-C, then drain without dropping accepted requests.
func ExampleServe() {
	ln, err := listenfd.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.DefaultServeMux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := listenfd.Serve(ctx, srv, ln); err != nil {
		log.Fatal(err)
	}
}

// Using a Drainer directly, to log when draining starts and to choose the
// timeouts.
func ExampleDrainer() {
	ln, err := listenfd.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	d := &listenfd.Drainer{
		Server:         &http.Server{Handler: http.DefaultServeMux},
		NewConnTimeout: time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- d.Serve(ln) }()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	stop() // a second Ctrl-C kills the process
	log.Print("draining")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		log.Print(err)
	}
	log.Print("stopped")
}

// Serving every inherited socket, systemd style, and reporting readiness
// explicitly (the listeners would also report it on their first Accept).
func ExampleListeners() {
	ls, err := listenfd.Listeners()
	if err != nil {
		log.Fatal(err)
	}
	if ls == nil {
		log.Fatal("no sockets inherited; start me from a supervisor or systemd")
	}
	for _, ln := range ls {
		go http.Serve(ln, http.DefaultServeMux)
	}
	if err := listenfd.Ready(); err != nil {
		log.Print(err)
	}
	select {}
}

// Reporting progress to the supervisor with sd_notify states.
func ExampleNotify() {
	listenfd.Notify("STATUS=warming caches") // no-op without NOTIFY_SOCKET
	// ... warm caches ...
	listenfd.Notify("STOPPING=1")
}
