package sockets

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
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
	if first[0] != g.gs[0].serving || first[1] != g.gs[1].serving {
		t.Fatal("the first child must get the serving sockets")
	}
	ms, err := g.Acquire(context.Background()) // a child serves: the next gets its own tcp socket
	if err != nil {
		t.Fatal(err)
	}
	if ms[0] == g.gs[0].serving || ms[1] != g.gs[1].serving {
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
