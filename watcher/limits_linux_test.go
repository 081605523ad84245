package watcher

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestLimitErrors(t *testing.T) {
	current := func(name string) string {
		b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(b))
	}

	err := watchError("/src/pkg", syscall.ENOSPC)
	t.Log(err)
	if !errors.Is(err, ErrWatchLimit) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("watchError(ENOSPC) = %v, want ErrWatchLimit wrapping ENOSPC", err)
	}
	for _, s := range []string{"fs.inotify.max_user_watches", "(currently " + current("max_user_watches") + ")", "/src/pkg"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("watchError(ENOSPC) = %q, lacks %q", err, s)
		}
	}

	err = newWatcherError(syscall.EMFILE)
	t.Log(err)
	if !errors.Is(err, ErrInstanceLimit) || !errors.Is(err, syscall.EMFILE) {
		t.Errorf("newWatcherError(EMFILE) = %v, want ErrInstanceLimit wrapping EMFILE", err)
	}
	for _, s := range []string{"fs.inotify.max_user_instances", "(currently " + current("max_user_instances") + ")"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("newWatcherError(EMFILE) = %q, lacks %q", err, s)
		}
	}

	err = watchError("/src/pkg", syscall.EACCES)
	if errors.Is(err, ErrWatchLimit) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("watchError(EACCES) = %v", err)
	}
}
