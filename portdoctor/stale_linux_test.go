package portdoctor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/portholder"
)

// recordChild records h as a child started by owner, as a reloader run
// would have done.
func recordChild(t *testing.T, reg *Registry, h, owner *portholder.Holder) Child {
	t.Helper()
	start, ok := procStart(h.PID)
	ownerStart, ok2 := procStart(owner.PID)
	if !ok || !ok2 {
		t.Fatal("helpers not running")
	}
	c := Child{PID: h.PID, Start: start, Cmdline: "helper", Owner: owner.PID, OwnerStart: ownerStart, Recorded: time.Now()}
	if err := reg.Record(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStaleChildNamedAndKilled(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	reg, err := OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	owner := portholder.Start(t, "wait") // stands in for the earlier reloader run
	h := portholder.Start(t, "tcp")
	c := recordChild(t, reg, h, owner)
	opts := Options{Dir: dir}
	ctx := context.Background()

	// While its reloader runs, the child is named but not stale.
	r, err := opts.Diagnose(ctx, "tcp", h.Addr)
	if err != nil {
		t.Fatal(err)
	}
	hd := holderOf(r, h.PID)
	if hd == nil || hd.Child == nil || hd.Stale {
		t.Fatalf("want a live reloader's child:\n%s", r)
	}
	if err := KillStale(ctx, c, time.Second); !errors.Is(err, ErrOwnerRunning) {
		t.Fatalf("KillStale with the owner running: %v, want ErrOwnerRunning", err)
	}

	owner.Release(t)
	r, err = opts.Diagnose(ctx, "tcp", h.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if hd := holderOf(r, h.PID); hd == nil || !hd.Stale {
		t.Fatalf("want a stale child:\n%s", r)
	}
	want := "a child left behind by an earlier reloader run in this directory"
	if !strings.Contains(r.Summary(), want) || !strings.Contains(r.String(), "--kill-stale") {
		t.Errorf("diagnosis does not name the stale child:\n%s", r)
	}
	stale, err := reg.Stale()
	if err != nil || len(stale) != 1 || stale[0].PID != h.PID {
		t.Fatalf("Stale() = %+v, %v", stale, err)
	}
	// Another directory's diagnosis does not know the child.
	if r, _ := (Options{Dir: t.TempDir()}).Diagnose(ctx, "tcp", h.Addr); holderOf(r, h.PID).Child != nil {
		t.Errorf("another directory names the child:\n%s", r)
	}

	if err := KillStale(ctx, stale[0], 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Done:
	case <-time.After(10 * time.Second):
		t.Fatal("stale child still runs after KillStale")
	}
	if r, _ := opts.Diagnose(ctx, "tcp", h.Addr); r.Kind != KindNone {
		t.Errorf("address not free after KillStale:\n%s", r)
	}
	if err := reg.Remove(h.PID); err != nil {
		t.Fatal(err)
	}
	if cs, err := reg.Children(); err != nil || len(cs) != 0 {
		t.Errorf("Children() after Remove = %+v, %v", cs, err)
	}
}

func TestKillStaleEscalatesToSIGKILL(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	reg, err := OpenRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	owner := portholder.Start(t, "wait")
	h := portholder.Start(t, "tcp-noterm")
	c := recordChild(t, reg, h, owner)
	owner.Release(t)
	start := time.Now()
	if err := KillStale(context.Background(), c, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	<-h.Done
	if !strings.Contains(h.Cmd.ProcessState.String(), "killed") {
		t.Errorf("helper ended with %v, want killed", h.Cmd.ProcessState)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("SIGKILL after %v, before the wait", d)
	}
}

func TestRegistryAddRemove(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir := t.TempDir()
	reg, err := OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := portholder.Start(t, "wait")
	if err := reg.Add(h.PID, "helper"); err != nil {
		t.Fatal(err)
	}
	cs, err := reg.Children()
	if err != nil || len(cs) != 1 || cs[0].PID != h.PID || cs[0].Start == 0 || !cs[0].Running() || !cs[0].OwnerRunning() {
		t.Fatalf("Children() = %+v, %v", cs, err)
	}
	if stale, _ := reg.Stale(); len(stale) != 0 {
		t.Errorf("a child of this running process is stale: %+v", stale)
	}
	h.Release(t)
	if cs[0].Running() {
		t.Error("exited child still Running")
	}
	// Recording another child prunes the dead one.
	other := portholder.Start(t, "wait")
	if err := reg.Add(other.PID, ""); err != nil {
		t.Fatal(err)
	}
	if cs, _ := reg.Children(); len(cs) != 1 || cs[0].PID != other.PID {
		t.Errorf("Children() = %+v, want only pid %d", cs, other.PID)
	}
	if err := reg.Remove(other.PID); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Children(); err != nil {
		t.Fatal(err)
	}
}
