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
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 10000)
		unix.Close(fd)
		if err != nil || n != 1 {
			t.Errorf("%s: pid %d still alive 10s after reloader was SIGKILLed", what, pid)
		}
	}
}

func TestSIGKILLWhileServingKillsChildAndGrandchildren(t *testing.T) {
	s := startSession(t, "grandchild")
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

func TestSIGKILLDuringBuildKillsTheBuildStep(t *testing.T) {
	s := &session{t: t, dir: newApp(t, "stock"), addr: freePort(t)}
	s.url = "http://" + s.addr + "/"
	pidFile := filepath.Join(t.TempDir(), "hook.pid")
	// The pre-build hook stands in for a long build step: it records its pid
	// and blocks. It runs in the build's place, in its own process group.
	hook := "if [ -f " + s.dir + "/block ]; then echo $$ > " + pidFile + "; exec sleep 300; fi"
	s.r = startReloader(t, s.dir, "-l", s.addr, "--debounce", "20ms", "--pre-build", hook, "--", "go", "run", ".")
	s.waitReady()
	write(t, s.dir+"/block", "")
	setVersion(t, s.dir, "v2")
	s.r.waitLine(s.seen, regexp.MustCompile(`msg=building`), 30*time.Second)
	var pid int
	for i := 0; i < 500 && pid == 0; i++ {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if pid == 0 {
			time.Sleep(20 * time.Millisecond) // the hook writes its pid file
		}
	}
	if pid == 0 {
		t.Fatal("the hook never started")
	}
	s.r.cmd.Process.Signal(syscall.SIGKILL)
	<-s.r.done
	waitGone(t, "child", s.pids[0])
	waitGone(t, "build step", pid)
}

func TestInFlightWorkSurvivesASwap(t *testing.T) {
	s := startSession(t, "listenfd")
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
	s.r.waitLine(s.seen, regexp.MustCompile(`msg="stopping child" pid=`+strconv.Itoa(s.pids[0])), 30*time.Second)
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
	s := startSession(t, "listenfd")
	moved := s.dir + ".moved"
	if err := os.Rename(s.dir, moved); err != nil {
		t.Fatal(err)
	}
	s.r.waitLine(s.seen, regexp.MustCompile(`msg="the watched root was removed or renamed; still serving; watching resumes when it returns"`), 30*time.Second)
	waitPid(t, s.url, s.pids[0]) // the child keeps serving
	if err := os.Rename(moved, s.dir); err != nil {
		t.Fatal(err)
	}
	s.r.waitLine(s.seen, regexp.MustCompile(`msg="the watched root is back; watching again"`), 30*time.Second)
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
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" && os.Geteuid() == 0 {
			t.Fatalf("mount tmpfs: %v %s", err, out)
		}
		t.Skipf("needs root to mount a small tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	t.Setenv("TMPDIR", mnt) // reloader's build directory lives there
	s := startSession(t, "listenfd")

	fill := exec.Command("dd", "if=/dev/zero", "of="+mnt+"/filler", "bs=1M", "count=100")
	fill.Run() // fails once the disk is full, as intended
	setVersion(t, s.dir, "v2")
	m, next := s.r.waitLine(s.seen, regexp.MustCompile(`msg="build failed; still serving the previous child" pid=(\d+)`), 120*time.Second)
	if m[1] != strconv.Itoa(s.pids[0]) {
		t.Errorf("full disk: kept pid %s, want %d", m[1], s.pids[0])
	}
	s.r.waitLine(s.seen, regexp.MustCompile(`no space left on device`), time.Second)
	s.seen = next
	waitPid(t, s.url, s.pids[0])

	os.Remove(mnt + "/filler")
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	setVersion(t, s.dir, "v3")
	_, next = s.r.waitLine(s.seen, regexp.MustCompile(`msg="build failed; still serving the previous child" pid=`+strconv.Itoa(s.pids[0])), 120*time.Second)
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
