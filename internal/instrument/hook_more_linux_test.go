package instrument

import (
	"net"
	"strings"
	"syscall"
	"testing"
)

// earlySource listens in a package-level variable, before any init
// function of package main runs: the hook file is installed before it.
const earlySource = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

var early = func() net.Listener {
	l, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		panic(err)
	}
	return l
}()

func main() {
	panic(http.Serve(early, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "early") })))
}
`

func TestHookOnEarlyListener(t *testing.T) {
	t.Parallel()
	app := buildApp(t, earlySource)
	t.Run("package variable", func(t *testing.T) {
		t.Parallel()
		_, addr, r, _ := startHanded(t, app.hooked)
		if req := r.next(t, "listen"); req != "listen tcp4 "+addr {
			t.Fatalf("request %q, want %q", req, "listen tcp4 "+addr)
		}
		if body := getBody(t, "http://"+addr+"/"); strings.TrimSpace(body) != "early" {
			t.Errorf("app answered %q", body)
		}
	})
	// ":PORT" is an IPv6 socket that also takes IPv4; the request says so.
	t.Run("dual stack", func(t *testing.T) {
		t.Parallel()
		probe, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("no IPv6: %v", err)
		}
		probe.Close()
		fd, err := reuseListener("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := strings.TrimPrefix(addrOf(t, fd), "127.0.0.1")
		syscall.Close(fd)
		r := serveListen(t, "no x", -1)
		startApp(t, app.hooked, port, "RELOADER_HOOK_SOCKET="+r.path)
		if req, want := r.next(t, "listen"), "listen tcp6 [::]"+port+" v6only=0"; req != want {
			t.Errorf("request %q, want %q", req, want)
		}
		if body := getBody(t, "http://127.0.0.1"+port+"/"); strings.TrimSpace(body) != "early" {
			t.Errorf("app answered %q over IPv4 on its own dual-stack socket", body)
		}
	})
}
