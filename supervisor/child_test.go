package supervisor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/reloader-dev/reloader/listenfd"
)

// The test binary plays the app when TEST_CHILD_MODEFILE is set. The file
// holds the mode of the next child, so a test can change what the next
// generation does:
//
//	serve     serve HTTP on fd 3 and send READY=1
//	quiet     serve HTTP on fd 3, never send READY=1
//	exit      exit 3 at once
//	stubborn  serve and send READY=1, ignore SIGTERM, and start a grandchild
//	          (sleep 300, which inherits the ignored SIGTERM)
//	chatty    write long lines from two goroutines, then serve
//	graceful  serve HTTP on 127.0.0.1:$PORT (the proxy's backend), drain on
//	          SIGTERM with http.Server.Shutdown
//	go        serve "kind=go pid=N" on fd 3 with listenfd, as a Go app does
//	          (net.FileListener sets O_NONBLOCK on the socket)
//	printexit print "line 1 <b>" to "line 50 <b>" on stderr and exit 3
//	longline  print a 300 KiB line and long-line-done, then serve
//	ondemand  ask RELOADER_HOOK_SOCKET for each address in TEST_ONDEMAND_ADDRS,
//	          serve HTTP on all, say "ready" at the first accept, no READY=1
const childModeEnv = "TEST_CHILD_MODEFILE"

func runTestChild() {
	b, err := os.ReadFile(os.Getenv(childModeEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test child:", err)
		os.Exit(2)
	}
	mode := strings.TrimSpace(string(b))
	if mode == "exit" {
		os.Exit(3)
	}
	if mode == "printexit" { // live_test.go: the last lines a failed start printed
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(os.Stderr, "line %d <b>\n", i)
		}
		os.Exit(3)
	}
	if mode == "udpecho" {
		runUDPEcho()
	}
	if mode == "graceful" {
		runGracefulApp() // proxy_swap_test.go
	}
	if mode == "go" {
		runListenfdApp()
	}
	grandchild := 0
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
		sleep := exec.Command("sleep", "300")
		if err := sleep.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "test child:", err)
			os.Exit(2)
		}
		grandchild = sleep.Process.Pid
	}
	if mode == "chatty" {
		writeChatty() // output_test.go
	}
	if mode == "longline" {
		writeLongLine() // output_test.go
	}
	var ln net.Listener
	if mode == "ondemand" {
		ln = onDemandListener() // ondemand_linux_test.go
	} else if ln, err = net.FileListener(os.NewFile(3, "listener")); err != nil {
		fmt.Fprintln(os.Stderr, "test child:", err)
		os.Exit(2)
	}
	info := fmt.Sprintf("pid=%d listen_pid=%s listen_fds=%s names=%s mode=%s grandchild=%d",
		os.Getpid(), os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"), mode, grandchild)
	// Drain the way listenfd's helper does, so the swap loses no request:
	// stop accepting, let every accepted connection's first request be read,
	// then Shutdown (golang/go#65802).
	var mu sync.Mutex
	fresh := map[net.Conn]bool{}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, info)
		}),
		ConnState: func(c net.Conn, st http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			if st == http.StateNew {
				fresh[c] = true
			} else {
				delete(fresh, c)
			}
		},
	}
	served := make(chan struct{})
	go func() {
		if mode == "stubborn" {
			return // signal.Notify would undo signal.Ignore
		}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		ln.Close()
		<-served
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			mu.Lock()
			n := len(fresh)
			mu.Unlock()
			if n == 0 {
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.Exit(0)
	}()
	if mode != "quiet" && mode != "ondemand" {
		if path := os.Getenv("NOTIFY_SOCKET"); path != "" {
			c, err := net.Dial("unixgram", path)
			if err == nil {
				c.Write([]byte("READY=1"))
				c.Close()
			}
		}
	}
	srv.Serve(ln)
	close(served)
	select {}
}

// runUDPEcho answers every datagram on fd 3 with "pid=N: " and the payload,
// and exits on SIGTERM.
func runUDPEcho() {
	pc, err := net.FilePacketConn(os.NewFile(3, "udp"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test child:", err)
		os.Exit(2)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}()
	if path := os.Getenv("NOTIFY_SOCKET"); path != "" {
		if c, err := net.Dial("unixgram", path); err == nil {
			c.Write([]byte("READY=1"))
			c.Close()
		}
	}
	buf := make([]byte, 1500)
	prefix := fmt.Sprintf("pid=%d: ", os.Getpid())
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			os.Exit(0)
		}
		pc.WriteTo(append([]byte(prefix), buf[:n]...), from)
	}
}

// runListenfdApp serves HTTP on fd 3 with listenfd until SIGTERM, then
// drains.
func runListenfdApp() {
	lns, err := listenfd.Listeners()
	if err != nil || len(lns) != 1 {
		fmt.Fprintln(os.Stderr, "go child:", err, len(lns))
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	body := fmt.Sprintf("kind=go pid=%d\n", os.Getpid())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })}
	if err := listenfd.Serve(ctx, srv, lns[0]); err != nil {
		fmt.Fprintln(os.Stderr, "go child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
