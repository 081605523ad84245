package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// writePIDFile writes pid to path atomically (a temporary file renamed into
// place), mode 0644: the directory decides who may write there.
func writePIDFile(path string, pid int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails once renamed
	if _, err := fmt.Fprintf(tmp, "%d\n", pid); err != nil {
		tmp.Close()
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	return nil
}

// removePIDFile removes path if it still names pid: after a self-upgrade it
// names the new reloader, which must keep it.
func removePIDFile(path string, pid int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	if string(bytes.TrimSpace(b)) != strconv.Itoa(pid) {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("reloader: pid file: %w", err)
	}
	return nil
}
