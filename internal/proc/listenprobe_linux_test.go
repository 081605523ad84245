package proc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// probeAppEnv makes this test binary play an app handed a listening
// socket at fd 3 (TestMain): "accept" blocks in accept on it, "epoll" only
// makes a listener of it with net.FileListener and never calls Accept,
// "idle" never touches it. Each prints "up" first.
const probeAppEnv = "PROC_TEST_PROBE_APP"

func runProbeApp(mode string) {
	switch mode {
	case "accept":
		syscall.SetNonblock(3, false)
		fmt.Println("up")
		syscall.Accept(3)
	case "epoll":
		if _, err := net.FileListener(os.NewFile(3, "handed")); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("up")
	default:
		fmt.Println("up")
	}
	time.Sleep(time.Hour)
	os.Exit(0)
}

// listenSocket returns a raw listening socket on 127.0.0.1 of the test's
// own, closed at the end.
func listenSocket(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		t.Fatal(err)
	}
	return fd
}

// startProbeApp starts this binary as the probe app mode with fd at 3,
// directly or (wrapped) as the child of a shell in the same process group,
// and waits until it prints "up". It returns the group.
func startProbeApp(t *testing.T, mode string, fd int, wrapped bool) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{exe, "-test.run=^$"}
	if wrapped {
		argv = []string{"/bin/sh", "-c", exe + " -test.run=^$; true"} // not exec'd: sh stays
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := Start(argv, Attr{Env: []string{probeAppEnv + "=" + mode}, Fds: []int{fd}, Stdout: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		KillGroup(p.Pid)
		p.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "up\n" {
		t.Fatalf("%s app printed %q (%v), want up", mode, line, err)
	}
	return p.Pid
}

// What ProbeListen sees of a real process for each way an app can treat
// its handed socket, directly or in a grandchild of the group leader.
func TestProbeListenRealProcesses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode    string
		wrapped bool
		want    string
	}{
		{"accept", false, UseAccept},
		{"accept", true, UseAccept},
		{"epoll", false, UseEpoll},
		{"epoll", true, UseEpoll},
		{"idle", false, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/wrapped=%v", c.mode, c.wrapped), func(t *testing.T) {
			t.Parallel()
			fd := listenSocket(t)
			inodes, err := SocketInodes([]int{fd})
			if err != nil || len(inodes) != 1 {
				t.Fatalf("SocketInodes = %v, %v", inodes, err)
			}
			pgid := startProbeApp(t, c.mode, fd, c.wrapped)
			all := Scope{Group: true, Accept: true}
			// Only a group scan finds the app behind a shell.
			if got := ProbeListen(pgid, inodes, Scope{Accept: true}); c.wrapped && got != "" {
				t.Errorf("ProbeListen of the shell alone = %q, want nothing", got)
			}
			got := ProbeListen(pgid, inodes, all)
			// The accept app prints "up" just before it blocks: wait
			// until its thread is in the call.
			for deadline := time.Now().Add(10 * time.Second); got == "" && c.want == UseAccept && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
				got = ProbeListen(pgid, inodes, all)
			}
			if got != c.want {
				t.Fatalf("ProbeListen = %q, want %q", got, c.want)
			}
			if got := ProbeListen(pgid, inodes, Scope{Group: true}); c.want == UseAccept && got != "" {
				t.Errorf("ProbeListen without Accept = %q for an app blocked in accept, want nothing", got)
			}
			if !c.wrapped {
				if got := ProbeListen(pgid, inodes, Scope{Accept: true}); got != c.want {
					t.Errorf("ProbeListen of the leader alone = %q, want %q", got, c.want)
				}
			}
			// Another socket's inode is never matched.
			other, _ := SocketInodes([]int{listenSocket(t)})
			if got := ProbeListen(pgid, other, all); got != "" {
				t.Errorf("ProbeListen of a socket the app does not hold = %q, want nothing", got)
			}
		})
	}
}
