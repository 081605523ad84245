package procnet

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// Listeners finds a real listener on any port, and Inodes ties it to this
// process through /proc/self/fd; a closed listener is in neither.
func TestListenersAndInodesFindOwnListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	err = syscall.Fstat(int(f.Fd()), &st)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	es, err := Listeners()
	if err != nil {
		t.Fatal(err)
	}
	var found *Entry
	for i, e := range es {
		if e.State != StateListen {
			t.Errorf("Listeners returned %v in state %v", e.Local, e.State)
		}
		if e.Local.Port() == port {
			found = &es[i]
		}
	}
	if found == nil || found.Inode != st.Ino {
		t.Fatalf("listener on port %d (inode %d) not in Listeners: %+v", port, st.Ino, found)
	}
	if held := Inodes([]int{os.Getpid()}); !held[st.Ino] {
		t.Errorf("Inodes(self) lacks the listener's inode %d", st.Ino)
	}
	ln.Close()
	if held := Inodes([]int{os.Getpid()}); held[st.Ino] {
		t.Errorf("Inodes(self) still has inode %d after Close", st.Ino)
	}
}
