package sdnotify

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A datagram without sender credentials is refused: on Linux the kernel
// attaches them to every datagram, so one without is not the child's.
func TestNotifyWithoutCredentialsIsIgnored(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if fromChild(nil, os.Getpid(), log) {
		t.Error("a datagram without credentials was taken as the child's")
	}
	if !strings.Contains(buf.String(), `msg="ignored notify message without sender credentials"`) {
		t.Errorf("log %q, want the warning about missing credentials", buf.String())
	}
	oob := unix.UnixCredentials(&unix.Ucred{Pid: int32(os.Getpid()), Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())})
	if !fromChild(oob, os.Getpid(), log) {
		t.Error("a datagram from the child's own pid was refused")
	}
}

// The directory is 0700 and this user's; a socket in it closes Ready on a
// READY=1 line from the child's process group (here, this test's own), and
// Close removes its file.
func TestListenServesReady(t *testing.T) {
	t.Parallel()
	dir, err := NewDir()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o700 || int(st.Uid) != os.Getuid() {
		t.Errorf("dir %s: mode %v uid %d, want 0700 and uid %d", dir, fi.Mode().Perm(), st.Uid, os.Getuid())
	}
	n, err := Listen(dir, 7)
	if err != nil {
		t.Fatal(err)
	}
	go n.Serve(syscall.Getpgrp(), slog.New(slog.DiscardHandler))
	c, err := net.Dial("unixgram", n.Env())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("STATUS=starting\nREADY=1\n"))
	c.Close()
	select {
	case <-n.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("READY=1 from the child's process group did not close Ready")
	}
	n.Close()
	if _, err := os.Stat(n.Env()); !os.IsNotExist(err) {
		t.Errorf("socket file %s after Close: %v", n.Env(), err)
	}
}
