package sdnotify

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// syncLog is a log handler tests can wait on.
type syncLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
}

func newSyncLog() *syncLog { return &syncLog{more: make(chan struct{})} }

func (l *syncLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *syncLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *syncLog) WithGroup(string) slog.Handler            { return l }
func (l *syncLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.WriteString(r.Message + "\n")
	close(l.more)
	l.more = make(chan struct{})
	return nil
}

// next returns a channel closed on the next log line.
func (l *syncLog) next() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.more
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// listen opens a notify socket in a private directory removed at the end.
func listen(t *testing.T) *Socket {
	t.Helper()
	dir, err := NewDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	n, err := Listen(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// sendFd sends msg with the write end of a new pipe attached, closes this
// process's copy of it, and returns the read end: it reads EOF once the
// receiver has closed the fd it got.
func sendFd(t *testing.T, n *Socket, msg string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrUnix{Name: n.Env()}
	if err := unix.Sendmsg(fd, []byte(msg), unix.UnixRights(int(w.Fd())), to, 0); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return r
}

// waitEOF waits until every copy of r's write end is closed.
func waitEOF(t *testing.T, r *os.File, what string) {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := r.Read(make([]byte, 1)); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Errorf("%s: the fd sent to the notify socket was not closed (read: %v)", what, err)
	}
}

// Every fd sent to the notify socket is closed, from the child or not:
// BARRIER=1 is answered by closing its fd, FDSTORE=1 is not supported.
func TestNotifyClosesReceivedFds(t *testing.T) {
	t.Parallel()
	n := listen(t)
	go n.Serve(syscall.Getpgrp(), slog.New(slog.DiscardHandler))
	waitEOF(t, sendFd(t, n, "BARRIER=1"), "BARRIER=1")
	waitEOF(t, sendFd(t, n, "FDSTORE=1\nFDNAME=x"), "FDSTORE=1")

	other := listen(t) // a sender outside the child's group
	go other.Serve(1, slog.New(slog.DiscardHandler))
	waitEOF(t, sendFd(t, other, "FDSTORE=1"), "FDSTORE=1 from outside the child")
}

// systemd-notify --ready from a shell child (it waits on BARRIER=1 for the
// message to be processed) exits 0 at once, and the child becomes ready.
func TestSystemdNotifyReadyFromShell(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skip("no systemd-notify (Debian package systemd)")
	}
	n := listen(t)
	cmd := exec.Command("sh", "-c", "set -e; systemd-notify --ready; echo sent")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+n.Env())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go n.Serve(cmd.Process.Pid, slog.New(slog.DiscardHandler))
	start := time.Now()
	err := cmd.Wait()
	took := time.Since(start)
	if err != nil || !strings.Contains(out.String(), "sent") {
		t.Errorf("sh -c 'set -e; systemd-notify --ready' after %v: %v, output %q; want exit 0", took, err, out.String())
	}
	if took > 4*time.Second { // its barrier gives up after 5s
		t.Errorf("systemd-notify --ready took %v, want it answered at once", took)
	}
	select {
	case <-n.Ready():
	case <-time.After(time.Minute):
		t.Error("READY=1 from systemd-notify did not make the child ready")
	}
}

// A READY=1 from a member of the child's group that has exited (and been
// reaped) before the datagram is read still makes the child ready: the
// sender is not looked up in /proc after the fact only.
func TestReadyFromExitedGroupMember(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-notify"); err != nil {
		t.Skip("no systemd-notify (Debian package systemd)")
	}
	n := listen(t)
	// The sender is a shell that is neither the group leader nor alive when
	// the datagram is read: systemd-notify sends READY=1 with its parent's
	// pid where it may, its own otherwise, and --no-block does not wait.
	cmd := exec.Command("sh", "-c", `sh -c "systemd-notify --ready --no-block; true"; echo done; read x`)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+n.Env())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()                                     // lets the leader exit
	if _, err := stdout.Read(make([]byte, 8)); err != nil { // the sender is gone and reaped
		t.Fatal(err)
	}
	log := newSyncLog()
	logged := log.next()
	go n.Serve(cmd.Process.Pid, slog.New(log))
	select {
	case <-n.Ready():
	case <-logged:
		t.Errorf("READY=1 from an exited group member was refused: %s", log)
	case <-time.After(time.Minute):
		t.Error("READY=1 from an exited group member did not make the child ready")
	}
}
