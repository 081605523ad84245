package watcher

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// procInotify is where Linux exposes the inotify sysctls.
const procInotify = "/proc/sys/fs/inotify/"

// watchError wraps an error from adding a watch for dir. inotify_add_watch
// fails with ENOSPC when fs.inotify.max_user_watches is reached.
func watchError(dir string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: watch %s: %w; raise the sysctl fs.inotify.max_user_watches (currently %s), "+
			"e.g. sudo sysctl fs.inotify.max_user_watches=524288",
			ErrWatchLimit, dir, err, sysctl("max_user_watches"))
	}
	return fmt.Errorf("watcher: watch %s: %w", dir, err)
}

// newWatcherError wraps an error from creating an inotify instance.
// inotify_init1 fails with EMFILE when fs.inotify.max_user_instances (or the
// process's open-file limit) is reached, and with ENFILE at the system-wide
// file limit.
func newWatcherError(err error) error {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return fmt.Errorf("%w: %w; raise the sysctl fs.inotify.max_user_instances (currently %s), "+
			"e.g. sudo sysctl fs.inotify.max_user_instances=1024, or the open-file limit (ulimit -n)",
			ErrInstanceLimit, err, sysctl("max_user_instances"))
	}
	return fmt.Errorf("watcher: %w", err)
}

// sysctl returns the current value of an inotify sysctl, or "unknown".
func sysctl(name string) string {
	b, err := os.ReadFile(procInotify + name)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
