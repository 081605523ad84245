package procnet

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
)

// The kernel writes each 32-bit word of an address in this machine's byte
// order: a real listener on 127.0.0.1 (and on ::1 where there is IPv6) is
// found in the table with its address, port, state, owner and inode.
func TestReadFindsRealListener(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"127.0.0.1", "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			if host == "::1" {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		defer ln.Close()
		want := ln.Addr().(*net.TCPAddr).AddrPort()
		es, err := Read("tcp", want.Port())
		if err != nil {
			t.Fatal(err)
		}
		var found *Entry
		for i, e := range es {
			if e.State == StateListen {
				found = &es[i]
			}
		}
		if found == nil {
			t.Fatalf("%s: no LISTEN entry for port %d in %+v", want, want.Port(), es)
		}
		if got := netip.AddrPortFrom(found.Local.Addr().Unmap(), found.Local.Port()); got != want {
			t.Errorf("listener %s decoded as %s (%s): wrong byte order", want, found.Local, got)
		}
		if found.UID != os.Getuid() || found.Remote.Port() != 0 || !found.Remote.Addr().IsUnspecified() {
			t.Errorf("%s: entry %+v, want uid %d and no peer", want, *found, os.Getuid())
		}
		// The inode is the one this process's fd links to.
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var link string
		rc.Control(func(fd uintptr) { link, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd))) })
		if err != nil || link != "socket:["+strconv.FormatUint(found.Inode, 10)+"]" {
			t.Errorf("%s: fd links to %q (%v), entry inode %d", want, link, err, found.Inode)
		}
	}
}
