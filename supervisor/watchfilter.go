package supervisor

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// watchRoot returns the absolute watch root, refusing the filesystem root
// and the home directory unless WatchForce is set: watching either would
// add a watch for every directory on the disk or in the home.
func (s *Supervisor) watchRoot() (string, error) {
	root := s.cfg.WatchRoot
	if root == "" {
		root = moduleRoot(s.dir)
	} else if !filepath.IsAbs(root) {
		root = filepath.Join(s.dir, root)
	}
	root = filepath.Clean(root)
	if fi, err := os.Stat(root); err != nil {
		return "", fmt.Errorf("%w: watch root: %w", ErrConfig, err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%w: watch root: %s is not a directory", ErrConfig, root)
	}
	if s.cfg.WatchForce {
		return root, nil
	}
	home, _ := os.UserHomeDir()
	if filepath.Dir(root) == root || home != "" && sameDir(root, home) {
		return "", fmt.Errorf("%w: watch root %s is the filesystem root or your home directory; "+
			"set a narrower watch.root, or watch.force = true to watch it anyway", ErrConfig, root)
	}
	return root, nil
}

// cleanGlob is a configured glob as it is matched: "/"-separated, without
// a leading "./".
func cleanGlob(g string) string { return strings.TrimPrefix(filepath.ToSlash(g), "./") }

func sameDir(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// pathFilter decides which paths under the watch root never count as
// changes, from the include and exclude globs and the ignore files.
type pathFilter struct {
	root    string
	include []string
	exclude []string
	git     gitignore.Matcher // nil when there are no patterns
}

// newPathFilter checks the globs and reads the ignore files in root. It
// returns nil when nothing is to be filtered.
func newPathFilter(root string, include, exclude []string, noGitIgnore bool) (*pathFilter, error) {
	f := &pathFilter{root: root}
	for _, g := range []struct {
		name string
		src  []string
		dst  *[]string
	}{{"include", include, &f.include}, {"exclude", exclude, &f.exclude}} {
		for _, p := range g.src {
			p = cleanGlob(p)
			if !doublestar.ValidatePattern(p) {
				return nil, fmt.Errorf("%w: watch %s: bad glob %q", ErrConfig, g.name, p)
			}
			*g.dst = append(*g.dst, p)
		}
	}
	if !noGitIgnore {
		var ps []gitignore.Pattern
		for _, name := range []string{".gitignore", ".ignore"} {
			more, err := readIgnoreFile(filepath.Join(root, name))
			if err != nil {
				return nil, err
			}
			ps = append(ps, more...)
		}
		if len(ps) > 0 {
			f.git = gitignore.NewMatcher(ps)
		}
	}
	if len(f.include) == 0 && len(f.exclude) == 0 && f.git == nil {
		return nil, nil
	}
	return f, nil
}

// readIgnoreFile parses a gitignore-syntax file; a missing file has no
// patterns.
func readIgnoreFile(path string) ([]gitignore.Pattern, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("supervisor: %w", err)
	}
	defer fh.Close()
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, nil))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("supervisor: read %s: %w", path, err)
	}
	return ps, nil
}

// ignore is a watcher.Options.Ignore function: path is absolute.
func (f *pathFilter) ignore(path string, isDir bool) bool {
	rel, err := filepath.Rel(f.root, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return false
	}
	rel = filepath.ToSlash(rel)
	for _, p := range f.exclude {
		if doublestar.MatchUnvalidated(p, rel) {
			return true
		}
	}
	if f.git != nil && f.git.Match(strings.Split(rel, "/"), isDir) {
		return true
	}
	if isDir || len(f.include) == 0 {
		return false
	}
	for _, p := range f.include {
		if doublestar.MatchUnvalidated(p, rel) {
			return false
		}
	}
	return true
}
