package portdoctor

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/reloader-dev/reloader/internal/portholder"
)

func holderOf(r *Report, pid int) *Holder {
	for i := range r.Holders {
		if r.Holders[i].PID == pid {
			return &r.Holders[i]
		}
	}
	return nil
}

func TestDiagnoseForeignTCPHolder(t *testing.T) {
	h := portholder.Start(t, "tcp")
	ctx := context.Background()
	for _, addr := range []string{h.Addr, ":" + h.Port(), "0.0.0.0:" + h.Port()} {
		r, err := Diagnose(ctx, "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != KindInUse || r.Errno != "EADDRINUSE" || r.ErrnoNum != 98 {
			t.Fatalf("%s: kind %v errno %s %d, want in use EADDRINUSE 98\n%s", addr, r.Kind, r.Errno, r.ErrnoNum, r)
		}
		hd := holderOf(r, h.PID)
		if hd == nil {
			t.Fatalf("%s: report does not name helper pid %d:\n%s", addr, h.PID, r)
		}
		if hd.State != "LISTEN" || hd.Local != h.Addr || hd.UID != os.Getuid() || hd.Inode == 0 || hd.User == "" {
			t.Errorf("holder = %+v", *hd)
		}
		if !strings.Contains(hd.Cmdline, "helper-tcp") {
			t.Errorf("cmdline %q does not name the helper", hd.Cmdline)
		}
		want := addr + " is in use by pid " + strconv.Itoa(h.PID) + " ("
		if s := r.Summary(); !strings.HasPrefix(s, want) || !strings.Contains(s, "helper-tcp") {
			t.Errorf("summary %q, want prefix %q and the command", s, want)
		}
		out := r.String()
		for _, w := range []string{"EADDRINUSE 98", "kill " + strconv.Itoa(h.PID), "reloader port " + addr} {
			if !strings.Contains(out, w) {
				t.Errorf("diagnosis lacks %q:\n%s", w, out)
			}
		}
	}
}

func TestDiagnoseOtherAddressIsFree(t *testing.T) {
	h := portholder.Start(t, "tcp")
	// 127.0.0.2 is loopback too, and does not conflict with 127.0.0.1.
	r, err := Diagnose(context.Background(), "tcp", "127.0.0.2:"+h.Port())
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindNone || len(r.Holders) != 0 {
		t.Fatalf("want free with no holder:\n%s", r)
	}
	if !strings.Contains(r.Summary(), "is free") {
		t.Errorf("summary %q", r.Summary())
	}
}

func TestDiagnoseUDPHolder(t *testing.T) {
	h := portholder.Start(t, "udp")
	r, err := Diagnose(context.Background(), "udp", h.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindInUse {
		t.Fatalf("kind %v:\n%s", r.Kind, r)
	}
	hd := holderOf(r, h.PID)
	if hd == nil || hd.State != "UNCONN" {
		t.Fatalf("report does not name udp helper pid %d:\n%s", h.PID, r)
	}
	if !strings.HasPrefix(r.Summary(), "udp "+h.Addr+" is in use by pid "+strconv.Itoa(h.PID)) {
		t.Errorf("summary %q", r.Summary())
	}
	if strings.Contains(r.String(), "TIME_WAIT") {
		t.Errorf("udp diagnosis talks about TIME_WAIT:\n%s", r)
	}
}

func TestDiagnoseTimeWaitOnly(t *testing.T) {
	addr := portholder.TimeWait(t)
	r, err := Diagnose(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindNone || r.TimeWait < 1 || len(r.Holders) != 0 {
		t.Fatalf("want free with TIME_WAIT >= 1 and no holder:\n%s", r)
	}
	out := r.String()
	for _, w := range []string{"a bind with SO_REUSEADDR succeeds", "TIME_WAIT", "60 s", "SO_REUSEPORT is something else"} {
		if !strings.Contains(out, w) {
			t.Errorf("diagnosis lacks %q:\n%s", w, out)
		}
	}
	// And the explanation holds: without SO_REUSEADDR the bind fails.
	ap := netip.MustParseAddrPort(addr)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	err = unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()})
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("bind without SO_REUSEADDR next to TIME_WAIT: %v, want EADDRINUSE", err)
	}
}

func TestExplainAddressNotAvailable(t *testing.T) {
	// 192.0.2.0/24 is TEST-NET-1: not on this host; a bind sends nothing.
	r, err := Diagnose(context.Background(), "tcp", "192.0.2.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind == KindNone {
		t.Skip("192.0.2.1 is an address of this host")
	}
	if r.Kind != KindNotAvailable || r.Errno != "EADDRNOTAVAIL" || r.ErrnoNum != 99 {
		t.Fatalf("kind %v errno %s %d:\n%s", r.Kind, r.Errno, r.ErrnoNum, r)
	}
	out := r.String()
	for _, w := range []string{"address not available (EADDRNOTAVAIL 99)", "192.0.2.1 is not one of this host's addresses", "127.0.0.1"} {
		if !strings.Contains(out, w) {
			t.Errorf("diagnosis lacks %q:\n%s", w, out)
		}
	}
}

func TestExplainInvalid(t *testing.T) {
	// Binding a socket twice is EINVAL.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	err = unix.Bind(fd, sa)
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("second bind: %v, want EINVAL", err)
	}
	r := Options{}.Explain(context.Background(), "tcp", "127.0.0.1:9", os.NewSyscallError("bind", err))
	if r.Kind != KindInvalid || r.ErrnoNum != 22 {
		t.Fatalf("kind %v errno %d", r.Kind, r.ErrnoNum)
	}
	if s := r.Summary(); !strings.Contains(s, "invalid argument (EINVAL 22)") || !strings.Contains(s, "already bound") {
		t.Errorf("summary %q", s)
	}
}

func TestExplainPermission(t *testing.T) {
	// Binding port 80 as root succeeds, so the error is synthetic.
	err := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}
	r := Options{}.Explain(context.Background(), "tcp", "127.0.0.1:80", err)
	if r.Kind != KindPermission || r.Errno != "EACCES" || r.ErrnoNum != 13 {
		t.Fatalf("kind %v errno %s %d", r.Kind, r.Errno, r.ErrnoNum)
	}
	out := r.String()
	for _, w := range []string{
		"127.0.0.1:80: permission denied (EACCES 13)", "CAP_NET_BIND_SERVICE",
		"setcap cap_net_bind_service=+ep", "sysctl net.ipv4.ip_unprivileged_port_start=80", "1024",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("diagnosis lacks %q:\n%s", w, out)
		}
	}
}

func TestProcStart(t *testing.T) {
	h := portholder.Start(t, "wait")
	start, ok := procStart(h.PID)
	if !ok || start == 0 {
		t.Fatalf("procStart(%d) = %d, %v", h.PID, start, ok)
	}
	h.Release(t)
	if _, ok := procStart(h.PID); ok {
		t.Errorf("procStart says exited pid %d runs", h.PID)
	}
}
