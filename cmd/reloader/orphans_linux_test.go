package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childrenOf returns the pids of pid's children, from /proc.
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// procStat returns the state and parent of pid, or ok=false if it is gone.
func procStat(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid, true
}

// waitReaped polls /proc until pid is gone (exited and reaped): the kernel
// has no event for "reaped".
func waitReaped(t *testing.T, pid int, timeout time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		state, ppid, ok := procStat(pid)
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: pid %d still there %v on (state %s, parent %d)", what, pid, timeout, state, ppid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeAsPID1ReapsOrphans runs `reloader serve` as PID 1 of a new pid
// namespace, as in a container. A process the app orphans is reparented to
// reloader; when it exits, reloader must reap it rather than leave a zombie.
func TestServeAsPID1ReapsOrphans(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare --pid")
	}
	if err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skipf("unshare --pid --fork --mount-proc does not work here: %v", err)
	}
	bin := buildServer(t, "orphaner")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	r := startReloaderAt(t, "unshare", dir, []string{"ORPHAN_CMD=exec cat " + fifo},
		"--pid", "--fork", "--mount-proc", "--kill-child",
		reloaderBin, "serve", "-l", addr, "--", bin)
	_, next := r.waitEvent(0, "child_ready", 60*time.Second)
	// unshare's child is reloader, PID 1 inside.
	var sup int
	if kids := childrenOf(r.cmd.Process.Pid); len(kids) == 1 {
		sup = kids[0]
	} else {
		t.Fatalf("unshare has children %v, want reloader alone", kids)
	}
	// Once the app answers, its shell has exited: `cat fifo` is now
	// reloader's child.
	if body, err := get("http://" + addr + "/"); err != nil || !strings.HasPrefix(body, "pid=") {
		t.Fatalf("GET = %q, %v", body, err)
	}
	var orphan int
	for _, k := range childrenOf(sup) {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", k)); string(b) == "cat\x00"+fifo+"\x00" {
			orphan = k
		}
	}
	if orphan == 0 {
		t.Fatalf("no orphaned cat among reloader's children %v", childrenOf(sup))
	}
	// Let it exit: open the fifo for writing and close it.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	waitReaped(t, orphan, 30*time.Second, "orphan that exited under PID 1 reloader")
	// A self-upgrade would end the namespace with the old reloader: it is
	// refused, and reloader keeps serving.
	syscall.Kill(sup, syscall.SIGUSR2)
	r.waitLine(next, regexp.MustCompile(`event=upgrade_failed .*PID 1`), 60*time.Second)
	if body, err := get("http://" + addr + "/"); err != nil || !strings.HasPrefix(body, "pid=") {
		t.Errorf("GET = %q, %v", body, err)
	}
	// unshare ignores SIGTERM while it waits: stop reloader itself.
	syscall.Kill(sup, syscall.SIGTERM)
	if code := r.exited(60*time.Second, "of SIGTERM"); code != 0 {
		t.Errorf("unshare/reloader exit %d after SIGTERM, want 0", code)
	}
}

var reOrphan = regexp.MustCompile(`orphan=(\d+)`)

// orphanOf asks the app at url for the pid of the daemon it started.
func orphanOf(t *testing.T, url string) int {
	t.Helper()
	body, err := get(url)
	if err != nil {
		t.Fatal(err)
	}
	m := reOrphan.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("answer %q names no orphan", body)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// TestDevDaemonStopsWithItsGeneration: in dev mode reloader is a child
// subreaper, so a daemonising grandchild (setsid, parent gone) becomes its
// child and is stopped with its generation, not left running.
func TestDevDaemonStopsWithItsGeneration(t *testing.T) {
	t.Parallel()
	bin := buildServer(t, "orphaner")
	dir := t.TempDir()
	addr := freePort(t)
	url := "http://" + addr + "/"
	r := startReloaderAt(t, reloaderBin, dir, []string{"ORPHAN_CMD=setsid sleep 300"}, "-l", addr, "--", bin)
	first, next := r.eventPid(0, "child_ready", 60*time.Second)
	daemon1 := orphanOf(t, url)
	t.Cleanup(func() { syscall.Kill(daemon1, syscall.SIGKILL) })
	if _, ppid, ok := procStat(daemon1); !ok || ppid != r.cmd.Process.Pid {
		t.Errorf("daemon %d has parent %d, want reloader %d (a child subreaper)", daemon1, ppid, r.cmd.Process.Pid)
	}
	r.cmd.Process.Signal(syscall.SIGHUP)
	second, next := r.eventPid(next, "child_ready", 60*time.Second)
	r.waitEvent(next, "child_exited", 60*time.Second, "pid="+strconv.Itoa(first))
	waitReaped(t, daemon1, 30*time.Second, "daemon of the stopped generation")
	// The new generation's daemon is left alone while it serves.
	var daemon2 int
	for i := 0; daemon2 == 0 || daemon2 == daemon1; i++ {
		if i == 1000 {
			t.Fatalf("pid %d never answered", second)
		}
		daemon2 = orphanOf(t, url)
	}
	t.Cleanup(func() { syscall.Kill(daemon2, syscall.SIGKILL) })
	if state, _, ok := procStat(daemon2); !ok || state == "Z" {
		t.Fatalf("daemon %d of the serving generation is gone (state %q)", daemon2, state)
	}
	if code := r.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("reloader exit %d after SIGTERM, want 0", code)
	}
	if err := syscall.Kill(daemon2, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("daemon %d outlived reloader (kill 0: %v)", daemon2, err)
	}
}
