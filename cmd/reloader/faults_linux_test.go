package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitGone waits, on pidfds, until every pid has exited.
func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // already gone
		}
		// 30s: the reaper is a process that must get a CPU, and the CI
		// runs these tests at load averages of 30 on 2 cores. poll is
		// interrupted (EINTR) by the runtime's preemption signals, more
		// often under load: it is resumed for the time left.
		deadline := time.Now().Add(30 * time.Second)
		var n int
		for {
			n, err = unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(max(time.Until(deadline), 0).Milliseconds()))
			if err != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
		if err != nil || n != 1 {
			t.Errorf("%s: pid %d still alive 30s after reloader was SIGKILLed (poll: %d, %v)", what, pid, n, err)
		}
	}
}

func TestSIGKILLWhileServingKillsChildAndGrandchildren(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "grandchild", nil)
	body, err := get(s.url)
	m := regexp.MustCompile(`grandchild=(\d+) pid=(\d+)`).FindStringSubmatch(body)
	if err != nil || m == nil {
		t.Fatalf("GET = %q, %v", body, err)
	}
	grand, _ := strconv.Atoi(m[1])
	s.r.cmd.Process.Signal(syscall.SIGKILL)
	<-s.r.done
	waitGone(t, "child", s.pids[0])
	waitGone(t, "grandchild", grand)
}

// blocker is a shell fragment that, once the file block exists, writes its
// pid into a FIFO (blocking until the test reads it) and then blocks itself:
// a build step caught in the act. Before that it runs its arguments.
type blocker struct {
	block, fifo string
}

func newBlocker(t *testing.T) *blocker {
	dir := t.TempDir()
	b := &blocker{block: filepath.Join(dir, "block"), fifo: filepath.Join(dir, "pid.fifo")}
	if err := unix.Mkfifo(b.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// sh is the fragment; a script that ends with it runs "$@" until blocked.
func (b *blocker) sh() string {
	return "if [ -f " + b.block + " ]; then echo $$ > " + b.fifo + "; exec sleep 300; fi"
}

// arm makes the next run block.
func (b *blocker) arm(t *testing.T) { write(t, b.block, "") }

// pid waits until a blocked step has written its pid.
func (b *blocker) pid(t *testing.T) int {
	t.Helper()
	got := make(chan []byte, 1)
	go func() {
		data, _ := os.ReadFile(b.fifo) // opens when the step opens its end
		got <- data
	}()
	select {
	case data := <-got:
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			t.Fatalf("blocked step wrote %q", data)
		}
		return pid
	case <-time.After(60 * time.Second):
		// Let the reader go: a writer that opens and closes gives it EOF.
		if f, err := os.OpenFile(b.fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("the build step never blocked")
		return 0
	}
}

// A pre_build hook caught in the act: its process group dies with reloader.
func TestSIGKILLDuringBuildKillsTheBuildStep(t *testing.T) {
	t.Parallel()
	b := newBlocker(t)
	s := newSession(t, newApp(t, "stock"))
	s.r = startReloader(t, s.dir, "-l", s.addr, "--debounce", "20ms", "--ready-delay", "50ms", "--pre-build", b.sh(), "--", "go", "run", ".")
	s.waitReady()
	b.arm(t)
	setVersion(t, s.dir, "v2")
	pid := b.pid(t)
	s.r.cmd.Process.Signal(syscall.SIGKILL)
	<-s.r.done
	waitGone(t, "child", s.pids[0])
	waitGone(t, "hook", pid)
}

// A real go build, caught while one of its tools runs (through -toolexec):
// go build and the tool under it die with reloader.
func TestSIGKILLDuringGoBuildKillsTheCompiler(t *testing.T) {
	t.Parallel()
	b := newBlocker(t)
	tool := filepath.Join(t.TempDir(), "toolexec.sh")
	write(t, tool, "#!/bin/sh\n"+b.sh()+"\nexec \"$@\"\n")
	if err := os.Chmod(tool, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, "stock", "--ready-delay", "50ms", "--build-flag", "-toolexec="+tool)
	b.arm(t)
	setVersion(t, s.dir, "v2")
	pid := b.pid(t)
	pgid, err := unix.Getpgid(pid)
	if err != nil {
		t.Fatal(err)
	}
	// The build's process group leader is go build itself.
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pgid) + "/cmdline")
	if args := strings.Split(string(cmdline), "\x00"); len(args) < 2 || filepath.Base(args[0]) != "go" || args[1] != "build" {
		t.Fatalf("blocked tool %d is in group %d = %q, want go build's", pid, pgid, cmdline)
	}
	s.r.cmd.Process.Signal(syscall.SIGKILL)
	<-s.r.done
	waitGone(t, "child", s.pids[0])
	waitGone(t, "go build", pgid)
	waitGone(t, "compiler step under go build", pid)
}

func TestInFlightWorkSurvivesASwap(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "listenfd", nil)
	type result struct {
		body string
		err  error
	}
	results := make(chan result, 5)
	for i := 0; i < 4; i++ {
		go func() {
			b, err := get(s.url + "slow")
			results <- result{b, err}
		}()
	}
	go func() {
		b, err := get(s.url + "stream")
		results <- result{b, err}
	}()
	// Wait until the first child runs all five.
	from := s.seen
	for i := 0; i < 4; i++ {
		_, from = s.r.waitLine(from, regexp.MustCompile(`slow request started pid=`+strconv.Itoa(s.pids[0])), 30*time.Second)
	}
	s.r.waitLine(s.seen, regexp.MustCompile(`stream started pid=`+strconv.Itoa(s.pids[0])), 30*time.Second)
	s.r.cmd.Process.Signal(syscall.SIGHUP)
	s.waitReady()
	s.r.waitEvent(s.seen, "stopping", 30*time.Second, "pid="+strconv.Itoa(s.pids[0]))
	for i := 0; i < 5; i++ {
		r := <-results
		if r.err != nil {
			t.Errorf("in-flight request failed across the swap: %v", r.err)
			continue
		}
		if !strings.HasPrefix(r.body, "slow done pid="+strconv.Itoa(s.pids[0])) && !strings.HasSuffix(r.body, "chunk 19\n") {
			t.Errorf("in-flight response cut short: %q", r.body)
		}
	}
	s.shutdown()
}

func TestWatchedRootRemovedAndBack(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "listenfd")
	moved := s.dir + ".moved"
	if err := os.Rename(s.dir, moved); err != nil {
		t.Fatal(err)
	}
	s.r.waitEvent(s.seen, "root_removed", 30*time.Second)
	waitPid(t, s.url, s.pids[0]) // the child keeps serving
	if err := os.Rename(moved, s.dir); err != nil {
		t.Fatal(err)
	}
	s.r.waitEvent(s.seen, "root_back", 30*time.Second)
	s.waitReady() // the return asks for one build
	setVersion(t, s.dir, "v2")
	s.waitReady()
	var body string
	for i := 0; i < 1000 && !strings.Contains(body, "version=v2 "); i++ {
		body, _ = get(s.url)
	}
	if !strings.Contains(body, "version=v2 ") {
		t.Fatalf("edit after the root came back not served: %q", body)
	}
	s.shutdown()
}

// A full disk, then a read-only one, under the build output: the build
// error is shown and the child keeps serving; once fixed, an edit swaps.
func TestFullOrReadOnlyOutputKeepsServing(t *testing.T) {
	t.Parallel()
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("needs root to mount a small tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	// reloader's build directory lives there.
	s := newSession(t, newApp(t, "listenfd"))
	s.r = startReloaderAt(t, reloaderBin, s.dir, []string{"TMPDIR=" + mnt}, "-l", "web="+s.addr, "--debounce", "20ms", "--", "go", "run", ".")
	s.waitReady()

	fill := exec.Command("dd", "if=/dev/zero", "of="+mnt+"/filler", "bs=1M", "count=100")
	fill.Run() // fails once the disk is full, as intended
	setVersion(t, s.dir, "v2")
	failed, next := s.r.waitEvent(s.seen, "build_failed", buildWait)
	if failed["pid"] != strconv.Itoa(s.pids[0]) {
		t.Errorf("full disk: kept pid %s, want %d", failed["pid"], s.pids[0])
	}
	s.r.waitLine(s.seen, regexp.MustCompile(`no space left on device`), time.Second)
	s.seen = next
	waitPid(t, s.url, s.pids[0])

	os.Remove(mnt + "/filler")
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	setVersion(t, s.dir, "v3")
	_, next = s.r.waitEvent(s.seen, "build_failed", buildWait, "pid="+strconv.Itoa(s.pids[0]))
	s.r.waitLine(s.seen, regexp.MustCompile(`read-only file system`), time.Second)
	s.seen = next
	waitPid(t, s.url, s.pids[0])

	if out, err := exec.Command("mount", "-o", "remount,rw", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v %s", err, out)
	}
	setVersion(t, s.dir, "v4")
	s.waitReady()
	var body string
	for i := 0; i < 1000 && !strings.Contains(body, "version=v4 "); i++ {
		body, _ = get(s.url)
	}
	if !strings.Contains(body, "version=v4 ") {
		t.Fatalf("edit after the disk was fixed not served: %q", body)
	}
	s.shutdown()
}
