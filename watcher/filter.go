package watcher

import (
	"path/filepath"
	"strings"
)

// matchFile reports whether the file at path, with base name name, counts as
// a change.
func (c *config) matchFile(path, name string) bool {
	if name == "" || isTempFile(name) {
		return false
	}
	if !c.names[name] {
		if name[0] == '.' {
			return false
		}
		byExt := c.exts[filepath.Ext(name)] && (c.includeTests || !strings.HasSuffix(name, "_test.go"))
		if !byExt && (c.also == nil || !c.also(path)) {
			return false
		}
	}
	return c.ignore == nil || !c.ignore(path, false)
}

// skipDir reports whether the directory at path, with base name name, must
// not be entered. The root is never skipped.
func (c *config) skipDir(path, name string) bool {
	if path == c.root {
		return false
	}
	if c.skipDirs[name] || (len(name) > 1 && name[0] == '.') {
		return true
	}
	return c.ignore != nil && c.ignore(path, true)
}

// isTempFile reports whether name looks like an editor's temporary, backup,
// swap or lock file.
func isTempFile(name string) bool {
	switch {
	case name == "4913", // vim probes whether it may create files with this name
		strings.HasPrefix(name, ".#"), // emacs lock files
		strings.HasSuffix(name, "~"),  // vim, emacs, gedit backups
		strings.HasSuffix(name, ".swp"),
		strings.HasSuffix(name, ".swo"),
		strings.HasSuffix(name, ".swx"),
		strings.HasSuffix(name, "___jb_tmp___"), // JetBrains safe write
		strings.HasSuffix(name, "___jb_old___"):
		return true
	}
	return false
}

// isWithin reports whether path is dir or below dir. Both are clean.
func isWithin(path, dir string) bool {
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}
