//go:build unix

package listenfd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// notifySocket creates a NOTIFY_SOCKET-style datagram socket and returns its
// path and a function returning the next datagram. The directory is short
// because sun_path is limited to 104-108 bytes.
func notifySocket(t *testing.T) (string, func() string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "lfd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "n")
	return path, listenNotify(t, path)
}

func listenNotify(t *testing.T, name string) func() string {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func() string {
		t.Helper()
		// Guards against hanging on failure only.
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("reading notification: %v", err)
		}
		return string(buf[:n])
	}
}

func TestNotifyPath(t *testing.T) {
	path, next := notifySocket(t)
	if err := notify(path, "READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
	if err := notify("", "READY=1"); err != nil {
		t.Errorf("notify with NOTIFY_SOCKET unset = %v, want nil", err)
	}
	if err := notify("relative/path", "READY=1"); err == nil || !strings.HasPrefix(err.Error(), "listenfd: notify ") {
		t.Errorf("notify to a relative path = %v, want a listenfd error", err)
	}
	if err := notify(path+".missing", "READY=1"); err == nil {
		t.Error("notify to a missing socket succeeded")
	}
}

func TestNotifyAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract Unix sockets are Linux-only")
	}
	name := fmt.Sprintf("@listenfd-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	next := listenNotify(t, name)
	if err := notify(name, "READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
}

func TestInspectFDNotSocket(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	tmp, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	for _, f := range []*os.File{pr, tmp} {
		fd := fdOf(t, f)
		in := inspectFD(fd, "http")
		want := fmt.Sprintf(`listenfd: fd %d ("http"): not a socket`, fd)
		if in.err == nil || in.err.Error() != want || !errors.Is(in.err, ErrNotSocket) {
			t.Errorf("inspectFD(%s) error = %v, want %q", f.Name(), in.err, want)
		}
		if in.file != nil {
			t.Errorf("inspectFD(%s) wrapped a non-socket in a file", f.Name())
		}
		if _, err := in.listener(); err != in.err {
			t.Errorf("listener() = %v, want %v", err, in.err)
		}
	}
}

func TestInspectFDSocket(t *testing.T) {
	ln := localListener(t)
	f := dupFile(t, ln.(*net.TCPListener))
	// inspectFD takes ownership of the descriptor: give it its own copy.
	g := dupFile(t, ln.(*net.TCPListener))
	in := inspectFD(fdOf(t, g), "web")
	if in.err != nil {
		t.Fatal(in.err)
	}
	defer in.file.Close()
	if !in.stream || in.addr.String() != ln.Addr().String() || !networkOK("tcp4", in.addr) {
		t.Fatalf("inspectFD: stream=%v addr=%v, want a stream socket on %v", in.stream, in.addr, ln.Addr())
	}
	if !strings.Contains(in.describe(), `("web") tcp `+ln.Addr().String()) {
		t.Errorf("describe() = %q", in.describe())
	}
	l, err := in.listener()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dup, err := in.dup()
	if err != nil {
		t.Fatal(err)
	}
	defer dup.Close()
	if dup.Name() != "web" {
		t.Errorf("dup name %q, want web", dup.Name())
	}
	// The inherited socket is still non-blocking for everyone sharing it.
	if nb, err := isNonblock(f); err != nil || !nb {
		t.Errorf("shared socket non-blocking = %v (%v), want true", nb, err)
	}
}

func fdOf(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn() // unlike Fd, keeps the blocking mode
	if err != nil {
		t.Fatal(err)
	}
	var n int
	rc.Control(func(fd uintptr) { n = int(fd) })
	return n
}

func isNonblock(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var flags uintptr
	var errno syscall.Errno
	rc.Control(func(fd uintptr) {
		flags, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	})
	if errno != 0 {
		return false, errno
	}
	return flags&syscall.O_NONBLOCK != 0, nil
}

// TestServeSwapNoDroppedRequests reproduces a hot swap: an old and a new
// server accept from the same socket (separate descriptors, as in two
// processes) while clients keep sending requests, half of them on fresh
// connections and half on keep-alive ones. The old server is stopped with
// Serve's drain. No request may fail.
func TestServeSwapNoDroppedRequests(t *testing.T) {
	ln := localListener(t)
	newFile := dupFile(t, ln.(*net.TCPListener))
	newLn, err := net.FileListener(newFile)
	if err != nil {
		t.Fatal(err)
	}
	oldLn := ln // the old server owns ln; closing it leaves newLn open

	var oldCount, newCount, newAfterStop atomic.Int64
	var oldStopped atomic.Bool
	oldBusy, newBusyAfter := make(chan struct{}), make(chan struct{})
	var oldOnce, newOnce sync.Once
	oldSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if oldCount.Add(1) >= 50 {
			oldOnce.Do(func() { close(oldBusy) })
		}
		io.WriteString(w, "old")
	})}
	newSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newCount.Add(1)
		if oldStopped.Load() && newAfterStop.Add(1) >= 50 {
			newOnce.Do(func() { close(newBusyAfter) })
		}
		io.WriteString(w, "new")
	})}
	go newSrv.Serve(newLn)
	defer newSrv.Close()
	ctx, stopOld := context.WithCancel(context.Background())
	oldDone := make(chan error, 1)
	go func() { oldDone <- Serve(ctx, oldSrv, oldLn) }()

	url := "http://" + ln.Addr().String() + "/"
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		failures atomic.Int64
		firstErr atomic.Value
	)
	for i := range 8 {
		tr := &http.Transport{DisableKeepAlives: i%2 == 0}
		client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tr.CloseIdleConnections()
			for !stop.Load() {
				resp, err := client.Get(url)
				if err == nil {
					var body []byte
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %s, body %q", resp.Status, body)
					}
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}

	guard := time.After(60 * time.Second) // fail instead of hanging
	select {
	case <-oldBusy:
	case <-guard:
		t.Fatalf("old server answered only %d requests", oldCount.Load())
	}
	stopOld()
	if err := <-oldDone; err != nil {
		t.Errorf("old server's Serve = %v, want nil after a clean drain", err)
	}
	oldStopped.Store(true)
	select {
	case <-newBusyAfter:
	case <-guard:
		t.Fatalf("new server answered only %d requests after the swap", newAfterStop.Load())
	}
	stop.Store(true)
	wg.Wait()

	t.Logf("old answered %d, new answered %d", oldCount.Load(), newCount.Load())
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d requests failed during the swap; first: %v", n, firstErr.Load())
	}
}

// TestListenInherited exercises Listen's matching and hand-out rules, and
// the readiness sent by the first Accept, on an environ built in-process.
func TestListenInherited(t *testing.T) {
	ln := localListener(t)
	in := inspectFD(fdOf(t, dupFile(t, ln.(*net.TCPListener))), "web")
	if in.err != nil {
		t.Fatal(in.err)
	}
	defer in.file.Close()
	path, next := notifySocket(t)
	e := &environ{fds: []*inherited{in}, notify: path}
	addr := ln.Addr().String()

	l1, err := e.listenInherited("tcp", addr)
	if err != nil || l1 == nil || l1.Addr().String() != addr {
		t.Fatalf("listenInherited(tcp, %s) = %v, %v; want the inherited socket", addr, l1, err)
	}
	if _, err := e.listenInherited("tcp", "web"); !errors.Is(err, ErrInUse) {
		t.Errorf("second Listen = %v, want ErrInUse", err)
	}
	if l, err := e.listenInherited("tcp", "127.0.0.1:1"); l != nil || err != nil {
		t.Errorf("Listen of another address = %v, %v; want no match", l, err)
	}
	if _, err := e.listenInherited("unix", "web"); err == nil || !strings.Contains(err.Error(), `fd `) {
		t.Errorf(`Listen("unix", "web") on a TCP socket = %v, want an FDError`, err)
	}

	// The first Accept sends READY=1 before accepting.
	accepted := make(chan error, 1)
	go func() {
		c, err := l1.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	if got := next(); got != "READY=1" {
		t.Errorf("notification %q, want READY=1", got)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}

	l1.Close()
	l2, err := e.listenInherited("tcp", "web")
	if err != nil {
		t.Fatalf("Listen after Close = %v, want the socket again", err)
	}
	l2.Close()

	berr := e.bindError(syscall.EADDRINUSE, "tcp", "127.0.0.1:1")
	if !errors.Is(berr, syscall.EADDRINUSE) || !strings.Contains(berr.Error(), `inherited: fd `+fmt.Sprint(in.fd)+` ("web") tcp `+addr) {
		t.Errorf("bindError = %v", berr)
	}
}
