package procnet

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
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

// sock_diag answers what the table says, for the states asked: a listener
// with two connections in its queue, one of them with 5 unread bytes; with
// no states, every socket on the port.
func TestQueryAgreesWithRead(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
	queued, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer queued.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	for _, states := range [][]State{{StateListen, StateEstablished}, {StateListen}, nil} {
		got, err := diag("tcp", port, states)
		if err != nil {
			t.Fatalf("sock_diag refused on Linux: %v", err)
		}
		for i, e := range got {
			if e.State == StateEstablished && !e.Traffic.Known {
				t.Errorf("no tcp_info for the queued connection %+v", e)
			}
			if e.RxQueue == 5 && !e.Traffic.Unanswered() {
				t.Errorf("the connection that received 5 bytes and sent none: traffic %+v, want unanswered", e.Traffic)
			}
			got[i].Traffic = Traffic{} // /proc does not say
		}
		all, err := Read("tcp", port)
		if err != nil {
			t.Fatal(err)
		}
		var want []Entry
		for _, e := range all {
			if len(states) == 0 || slices.Contains(states, e.State) {
				want = append(want, e)
			}
		}
		key := func(a, b Entry) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
		slices.SortFunc(got, key)
		slices.SortFunc(want, key)
		if !slices.Equal(got, want) {
			t.Errorf("states %v: sock_diag %+v\n/proc %+v", states, got, want)
		}
		if len(states) == 2 && !slices.ContainsFunc(got, func(e Entry) bool { return e.State == StateEstablished && e.RxQueue == 5 }) {
			t.Errorf("states %v: no connection with 5 unread bytes in %+v", states, got)
		}
	}
}

// The listeners on one port, by sock_diag against a full read of the
// tables: the read's cost grows with every socket on the machine (run it
// while a load test leaves thousands in TIME_WAIT to see the gap).
func BenchmarkListeners(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).AddrPort().Port()
	b.Run("sock_diag", func(b *testing.B) {
		for b.Loop() {
			if _, err := diag("tcp", port, []State{StateListen}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("proc_read", func(b *testing.B) {
		for b.Loop() {
			if _, err := Read("tcp", port); err != nil {
				b.Fatal(err)
			}
		}
	})
}
