package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// BecomeSubreaper makes the calling process a child subreaper: a process
// orphaned below it (a daemonising grandchild) becomes its child instead of
// init's, so KillOrphans can still stop it.
func BecomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("proc: PR_SET_CHILD_SUBREAPER: %w", err)
	}
	return nil
}

// ReapOrphans reaps, on every SIGCHLD until ctx is done, the zombies of
// processes that were orphaned and reparented to this one, as PID 1 (in a
// container) or a child subreaper must. It leaves alone the children this
// process started, whose exit status their own Wait collects. log may be
// nil.
func ReapOrphans(ctx context.Context, log *slog.Logger) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for {
		for _, pid := range children() {
			st, err := ReadStat(pid)
			if err != nil || st.State != 'Z' || !isOrphan(pid, st) {
				continue
			}
			var ws syscall.WaitStatus
			if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); err == nil && got == pid && log != nil {
				log.Debug("reaped an orphan", "event", "orphan_reaped", "pid", pid, "status", ws.ExitStatus())
			}
		}
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
	}
}

// isOrphan tells a child that was reparented here from one this process
// started. Everything reloader starts is a process-group leader in its
// session (children, builds, hooks, the reaper) or shares its group (a
// self-upgraded reloader). An orphan either left the session (setsid, as
// daemons do) or still sits in the group of the app that started it.
func isOrphan(pid int, st Stat) bool {
	sid, _ := unix.Getsid(0)
	if st.SID != sid {
		return true
	}
	return st.PGID != pid && st.PGID != syscall.Getpgrp()
}

// KillOrphans SIGKILLs and reaps the live children of this process, other
// than skip, whose environment holds marker (NAME=VALUE): the orphans of
// the generation that was started with it. It returns their pids.
func KillOrphans(marker string, skip int) []int {
	var killed []int
	want := []byte(marker)
	for _, pid := range children() {
		if pid == skip {
			continue
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil || !hasEntry(env, want) {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			continue
		}
		// Only this process reaps it (or ReapOrphans, which makes this
		// return ECHILD): until then the pid cannot be reused.
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(pid, &ws, 0, nil)
			if !errors.Is(err, syscall.EINTR) {
				break
			}
		}
		killed = append(killed, pid)
	}
	return killed
}

// hasEntry reports whether the NUL-separated environ holds entry.
func hasEntry(environ, entry []byte) bool {
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if bytes.Equal(kv, entry) {
			return true
		}
	}
	return false
}

// children returns the pids of this process's children.
func children() []int {
	var pids []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	if len(tasks) > 0 {
		return pids
	}
	// No CONFIG_PROC_CHILDREN: scan every process for its parent.
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadStat(pid); err == nil && st.PPID == self {
			pids = append(pids, pid)
		}
	}
	return pids
}
