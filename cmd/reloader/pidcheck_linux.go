package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/reloader-dev/reloader/internal/proc"
)

// errStalePID is wrapped when a pid file names a process that cannot be the
// `reloader serve` that wrote it.
var errStalePID = errors.New("stale pid file")

// startSlack absorbs the coarse clocks of file times and process starts.
const startSlack = 100 * time.Millisecond

// checkServePID makes sure pid is a running `reloader serve` that started
// before written, when the pid file was written: a process that started
// later reuses the pid of a reloader that is gone.
func checkServePID(pid int, written time.Time) error {
	st, err := proc.ReadStat(pid)
	if err != nil {
		return fmt.Errorf("%w: no process %d: %w", errStalePID, pid, err)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return fmt.Errorf("reloader: boot time: %w", err)
	}
	// The file's time as time since boot, the clock of st.Start.
	writtenBoot := time.Duration(ts.Nano()) - time.Since(written)
	if st.Start > writtenBoot+startSlack {
		return fmt.Errorf("%w: process %d started %v after the file was written, so it is not the reloader that wrote it",
			errStalePID, pid, (st.Start - writtenBoot).Round(time.Millisecond))
	}
	if st.State == 'Z' || st.State == 'X' {
		return fmt.Errorf("%w: process %d has exited", errStalePID, pid)
	}
	if !isReloaderServe(pid) {
		return fmt.Errorf("%w: process %d is not a reloader serve", errStalePID, pid)
	}
	return nil
}

// isReloaderServe reports whether pid runs `reloader serve`: "serve" among
// its arguments, and an executable named reloader* or this very binary.
func isReloaderServe(pid int) bool {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return false
	}
	argv := strings.Split(string(bytes.TrimRight(b, "\x00")), "\x00")
	serve := false
	for _, a := range argv[1:] {
		if a == "serve" {
			serve = true
			break
		}
	}
	if !serve {
		return false
	}
	named := func(p string) bool { return strings.HasPrefix(filepath.Base(p), "reloader") }
	if named(argv[0]) {
		return true
	}
	exe, err := os.Readlink(dir + "/exe")
	if err != nil {
		return false
	}
	if named(strings.TrimSuffix(exe, " (deleted)")) {
		return true
	}
	self, err1 := os.Stat("/proc/self/exe")
	other, err2 := os.Stat(dir + "/exe")
	return err1 == nil && err2 == nil && os.SameFile(self, other)
}
