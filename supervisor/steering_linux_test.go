package supervisor

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUnexpectedGroupMemberIsWarnedAndStarved(t *testing.T) {
	h := newHarness(t, DefaultConfig())
	h.waitReady()
	addr := h.s.Addrs()[0].Addr
	// Another process of this user joins the SO_REUSEPORT group.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return serr
	}}
	lc.SetMultipathTCP(false)
	intruder, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	h.s.Reload("test")
	warn := h.log.wait(t, &h.logFrom, "unexpected listener in the SO_REUSEPORT group: another process of this user bound the address; it receives no connections while steering is on")
	if warn["listeners"] != "2" || warn["ours"] != "1" {
		t.Errorf("warning attrs %v, want listeners=2 ours=1", warn)
	}
	h.waitReady()
	for i := 0; i < 50; i++ {
		if body := get(t, h.url); !strings.Contains(body, "pid=") {
			t.Fatalf("response %q", body)
		}
	}
	intruder.(*net.TCPListener).SetDeadline(time.Now())
	if c, err := intruder.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		if c != nil {
			c.Close()
		}
		t.Errorf("the intruding listener received a connection (err %v)", err)
	}
}
