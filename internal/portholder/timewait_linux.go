package portholder

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/procnet"
)

// TimeWait leaves a server-side socket in TIME_WAIT on a loopback port that
// nothing listens on, and returns its address once /proc/net/tcp shows it.
func TimeWait(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	client, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	// The server closes first, so its side goes FIN_WAIT -> TIME_WAIT once
	// the client's FIN arrives.
	server.Close()
	if _, err := client.Read(make([]byte, 1)); err == nil {
		t.Fatal("client read data, want EOF")
	}
	client.Close()
	local := netip.MustParseAddrPort(addr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		entries, err := procnet.Read("tcp", local.Port())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.State == procnet.StateTimeWait && e.Local == local {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TIME_WAIT socket on %s: %+v", addr, entries)
		}
		time.Sleep(5 * time.Millisecond) // polling a kernel state change
	}
}
