package sockets

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

func TestUnixSocketsStayShared(t *testing.T) {
	dir, err := os.MkdirTemp("", "sv")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	addrs := []Address{
		{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"},
		{Name: "sock", Network: "unix", Addr: filepath.Join(dir, "app.sock")},
	}
	g, err := Open(context.Background(), nil, addrs, ListenOptions{}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.gs[0].steer || g.gs[1].steer {
		t.Fatalf("steer tcp=%v unix=%v, want true false", g.gs[0].steer, g.gs[1].steer)
	}
	first, err := g.Acquire(context.Background()) // the first child takes the serving sockets
	if err != nil {
		t.Fatal(err)
	}
	if first.ms[0] != g.gs[0].serving || first.ms[1] != g.gs[1].serving {
		t.Fatal("the first child must get the serving sockets")
	}
	ms, err := g.Acquire(context.Background()) // a child serves: the next gets its own tcp socket
	if err != nil {
		t.Fatal(err)
	}
	if ms.ms[0] == g.gs[0].serving || ms.ms[1] != g.gs[1].serving {
		t.Error("a new generation must get a new tcp socket and the shared unix socket")
	}
	if len(g.gs[0].members) != 2 {
		t.Errorf("tcp group has %d members, want 2", len(g.gs[0].members))
	}
	g.Release(ms)
	if len(g.gs[0].members) != 1 {
		t.Errorf("after release the tcp group has %d members, want 1", len(g.gs[0].members))
	}
}

// Releasing an old socket while the serving one is last in the kernel's
// group must not let a connection land on another socket: the kernel moves
// the last socket into the freed slot, and until the program is attached
// again its index would point past the end (hash fallback).
func TestReleaseKeepsSteeringExact(t *testing.T) {
	t.Parallel()
	for run := range 3 {
		if n := releaseUnderLoad(t); n != 0 {
			t.Fatalf("run %d: %d connections landed on an idle socket while another left the group, want 0", run, n)
		}
	}
}

// releaseUnderLoad lays out a group [first, idle, serving], releases first
// while clients connect, and returns how many connections the idle socket,
// which was never steered to, received.
func releaseUnderLoad(t *testing.T) int {
	g, err := Open(context.Background(), nil, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var gens []*Hand
	for range 3 {
		ms, err := g.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		gens = append(gens, ms)
	}
	g.Promote(gens[2])
	// Acquire handed the socket over in blocking mode, as to a child;
	// the test's acceptor uses Go's poller on it.
	if err := syscall.SetNonblock(gens[2].ms[0].fd, true); err != nil {
		t.Fatal(err)
	}
	serving := gens[2].ms[0].ln.(net.Listener)
	go func() { // the serving child
		for {
			c, err := serving.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	stop := make(chan struct{})
	var dialers sync.WaitGroup
	for range 4 {
		dialers.Add(1)
		go func() {
			defer dialers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c, err := net.Dial("tcp", g.Addrs()[0].Addr); err == nil {
					c.Close()
				}
			}
		}()
	}
	g.Release(gens[0])
	close(stop)
	dialers.Wait()
	n, err := acceptQueueLen(gens[1].ms[0].fd)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Spares added while sockets leave the group are reused and pruned: after
// overlapping drains and one more swap, the group is back to the serving
// socket and at most one spare.
func TestSparesDoNotAccumulate(t *testing.T) {
	t.Parallel()
	g, err := Open(context.Background(), nil, []Address{{Name: "web", Network: "tcp", Addr: "127.0.0.1:0"}}, ListenOptions{}, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var gens []*Hand
	for range 4 { // four generations, each promoted while the others drain
		ms, err := g.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g.Promote(ms)
		gens = append(gens, ms)
	}
	for _, ms := range gens[:3] {
		g.Release(ms)
	}
	peak := g.Held()
	for range 1 { // a quiet swap
		ms, err := g.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g.Promote(ms)
		g.Release(gens[len(gens)-1])
		gens = append(gens, ms)
	}
	if n := g.Held(); n > 2 {
		t.Errorf("after a quiet swap the group holds %d sockets (peak %d), want at most 2", n, peak)
	}
	t.Logf("sockets held: %d after overlapping drains, %d after a quiet swap", peak, g.Held())
}
