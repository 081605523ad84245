package instrument

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// appSource is an unmodified net/http server on the address in its first
// argument. Its handler reports what the hooks must hide or keep: the
// RELOADER_HOOK_SOCKET it and a process it starts see, and, for /dial?addr=,
// SO_REUSEPORT on an outgoing connection.
const appSource = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		env, _ := exec.Command("env").Output()
		fmt.Fprintf(w, "pid=%d getenv=%q child=%v listen_pid=%s\n", os.Getpid(), os.Getenv("RELOADER_HOOK_SOCKET"), strings.Contains(string(env), "RELOADER_HOOK_SOCKET"), os.Getenv("LISTEN_PID"))
	})
	http.HandleFunc("/dial", func(w http.ResponseWriter, r *http.Request) {
		c, err := net.Dial("tcp", r.URL.Query().Get("addr"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer c.Close()
		rc, _ := c.(*net.TCPConn).SyscallConn()
		v, serr := -1, error(nil)
		rc.Control(func(fd uintptr) { v, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf) })
		fmt.Fprintf(w, "reuseport=%d err=%v\n", v, serr)
	})
	panic(http.ListenAndServe(os.Args[1], nil))
}
`

// soReusePort is SO_REUSEPORT on the architectures the tests run on.
const soReusePort = 0xf

// builtApp is the test app built plainly and with the hook.
type builtApp struct {
	dir, plain, hooked string
}

// buildApp writes main.go = src into a temp module and builds it twice, as
// reloader would build a `go run .` command with and without
// instrumentation, logging both build times.
func buildApp(t *testing.T, src string) builtApp {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"go.mod": "module example.com/app\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	b := builtApp{dir: dir, plain: filepath.Join(out, "plain"), hooked: filepath.Join(out, "hooked")}
	start := time.Now()
	goBuild(t, dir, "-ldflags=-s -w", "-o", b.plain, ".")
	plain := time.Since(start)
	overlayJSON, _, err := Overlay(out, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	goBuild(t, dir, "-overlay="+overlayJSON, "-ldflags=-s -w -checklinkname=0", "-o", b.hooked, ".")
	t.Logf("build time: plain %v, instrumented %v", plain.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return b
}

func goBuild(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-buildvcs=false"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, out)
	}
}

// reloaderSide plays reloader's end of the RELOADER_HOOK_SOCKET protocol: it
// answers every "listen" request with reply (and fd for "ok") and reports
// every message it receives.
type reloaderSide struct {
	path string
	msgs chan string
}

func serveListen(t *testing.T, reply string, fd int) *reloaderSide {
	t.Helper()
	r := &reloaderSide{path: filepath.Join(t.TempDir(), "listen-1"), msgs: make(chan string, 16)}
	l, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: r.path, Net: "unixpacket"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			buf := make([]byte, 512)
			n, err := c.Read(buf)
			if err == nil {
				msg := string(buf[:n])
				r.msgs <- msg
				if strings.HasPrefix(msg, "listen ") {
					var oob []byte
					if reply == "ok" {
						oob = syscall.UnixRights(fd)
					}
					c.WriteMsgUnix([]byte(reply), oob, nil)
				}
			}
			c.Close()
		}
	}()
	return r
}

// next returns the next message, failing after 30s.
func (r *reloaderSide) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s message from the app within 30s", what)
		return ""
	}
}

// startApp runs bin on addr with env and kills it when the test ends.
func startApp(t *testing.T, bin, addr string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, addr)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// startHanded holds a port on 127.0.0.1 as reloader would (reuseListener),
// answers the hooked app's requests with "ok" and that socket, and starts
// the app on it. The socket is closed when the test ends.
func startHanded(t *testing.T, bin string) (fd int, addr string, r *reloaderSide, cmd *exec.Cmd) {
	t.Helper()
	fd, err := reuseListener("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	addr = addrOf(t, fd)
	r = serveListen(t, "ok", fd)
	cmd = startApp(t, bin, addr, "RELOADER_HOOK_SOCKET="+r.path)
	return fd, addr, r, cmd
}

// reuseListener binds addr with SO_REUSEADDR and SO_REUSEPORT, as
// reloader's steered sockets are, and listens.
func reuseListener(addr string) (int, error) {
	ap, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := &syscall.SockaddrInet4{Port: ap.Port}
	copy(sa.Addr[:], ap.IP.To4())
	for _, opt := range []int{syscall.SO_REUSEADDR, soReusePort} {
		if err = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, opt, 1); err != nil {
			break
		}
	}
	if err == nil {
		err = syscall.Bind(fd, sa)
	}
	if err == nil {
		err = syscall.Listen(fd, 128)
	}
	if err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// addrOf returns the address fd is bound to.
func addrOf(t *testing.T, fd int) string {
	t.Helper()
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in := sa.(*syscall.SockaddrInet4)
	return fmt.Sprintf("%d.%d.%d.%d:%d", in.Addr[0], in.Addr[1], in.Addr[2], in.Addr[3], in.Port)
}

// getBody GETs url until it answers or 30s pass: the app listens some time
// after it started.
func getBody(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s: %v %s: %s", url, err, resp.Status, b)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outgoing starts a TCP server for the app to dial and returns its address.
func outgoing(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan struct{}, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			got <- struct{}{}
			c.Close()
		}
	}()
	return l.Addr().String(), got
}

func TestHookOnRealApp(t *testing.T) {
	t.Parallel()
	app := buildApp(t, appSource)

	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		fd, addr, r, cmd := startHanded(t, app.hooked)
		if req := r.next(t, "listen"); req != "listen tcp4 "+addr {
			t.Fatalf("request %q, want %q", req, "listen tcp4 "+addr)
		}
		if ready := r.next(t, "ready"); ready != "ready "+addr {
			t.Fatalf("readiness %q, want %q", ready, "ready "+addr)
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			t.Fatal(err)
		}
		if !holds(t, cmd.Process.Pid, st.Ino) {
			t.Errorf("pid %d holds no fd on the test's socket (inode %d)", cmd.Process.Pid, st.Ino)
		}
		body := getBody(t, "http://"+addr+"/")
		if want := fmt.Sprintf(`pid=%d getenv="" child=false`, cmd.Process.Pid); !strings.Contains(body, want) {
			t.Errorf("app answered %q, want %q", body, want)
		}
		dial, got := outgoing(t)
		if body := getBody(t, "http://"+addr+"/dial?addr="+dial); !strings.Contains(body, "reuseport=0 err=<nil>") {
			t.Errorf("outgoing connection: %q, want SO_REUSEPORT cleared", body)
		}
		<-got
		select {
		case m := <-r.msgs:
			t.Errorf("unexpected message %q after ready", m)
		default:
		}
	})

	t.Run("no", func(t *testing.T) {
		t.Parallel()
		fd, err := reuseListener("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := addrOf(t, fd)
		syscall.Close(fd) // the port is free for the app
		r := serveListen(t, "no x", -1)
		// Started as reloader starts it, without the exec shim: the app
		// sets LISTEN_PID to its own pid itself.
		cmd := startApp(t, app.hooked, addr, "RELOADER_HOOK_SOCKET="+r.path, "LISTEN_FDS=1")
		if req := r.next(t, "listen"); req != "listen tcp4 "+addr {
			t.Fatalf("request %q, want %q", req, "listen tcp4 "+addr)
		}
		body := getBody(t, "http://"+addr+"/")
		if want := fmt.Sprintf(`pid=%d getenv="" child=false listen_pid=%d`, cmd.Process.Pid, cmd.Process.Pid); !strings.Contains(body, want) {
			t.Errorf("app answered %q, want %q", body, want)
		}
		// The app listens on its own socket, without SO_REUSEPORT: a
		// second SO_REUSEPORT listener cannot join it.
		if fd, err := reuseListener(addr); !errors.Is(err, syscall.EADDRINUSE) {
			if err == nil {
				syscall.Close(fd)
			}
			t.Errorf("SO_REUSEPORT bind next to the app's listener: %v, want EADDRINUSE", err)
		}
		select {
		case m := <-r.msgs:
			t.Errorf("unexpected message %q: the app was handed no socket", m)
		default:
		}
	})

	t.Run("unset", func(t *testing.T) {
		t.Parallel()
		// Without RELOADER_HOOK_SOCKET the app binds its own port as before,
		// and a port someone holds with SO_REUSEPORT still fails.
		fd, err := reuseListener("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		cmd := exec.Command(app.hooked, addrOf(t, fd))
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "address already in use") {
			t.Errorf("app on a held port: %v\n%s\nwant it to fail with address already in use", err, out)
		}
	})
}

// holds reports whether process pid has an fd on the socket with inode ino.
func holds(t *testing.T, pid int, ino uint64) bool {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("socket:[%d]", ino)
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == want {
			return true
		}
	}
	return false
}
