package proc

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Shim opened once runs after its file on disk is removed, and its open
// executable never reaches the app: the app has its socket at fd 3 and
// nothing at fd 4.
func TestShimRunsAfterRemovalAndHidesItsFd(t *testing.T) {
	t.Parallel()
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shim")
	if err := os.WriteFile(path, self, 0o755); err != nil {
		t.Fatal(err)
	}
	shim, err := OpenShim(path)
	if err != nil {
		t.Fatal(err)
	}
	defer shim.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var fd int
	rc, _ := ln.(*net.TCPListener).SyscallConn()
	rc.Control(func(f uintptr) { fd = int(f) })
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	script := `s3=none; [ -S /proc/$$/fd/3 ] && s3=socket; s4=closed; [ -e /proc/$$/fd/4 ] && s4=open; echo "$$ $LISTEN_PID $s3 $s4 ${` + ShimEnv + `:-unset}"`
	p, err := Start([]string{"/bin/sh", "-c", script}, Attr{Env: []string{"LISTEN_FDS=1", "PATH=/usr/bin:/bin"}, Fds: []int{fd}, Stdout: w, Shim: shim})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Wait()
	line, _ := bufio.NewReader(r).ReadString('\n')
	f := strings.Fields(line)
	if len(f) != 5 || f[1] != f[0] || f[2] != "socket" || f[3] != "closed" || f[4] != "unset" {
		t.Errorf("the app printed %q; want its pid twice, a socket at fd 3, fd 4 closed and %s unset", line, ShimEnv)
	}
}
