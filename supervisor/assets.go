package supervisor

import (
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/reloader-dev/reloader/watcher"
)

// assetFilter matches Config.Assets: files the app reads at run time, whose
// changes refresh browsers instead of starting a build.
type assetFilter struct {
	root     string
	globs    []string
	prefixes []string // the globs' literal leading directories, "" when a glob starts with a pattern
}

// newAssetFilter returns nil when there are no globs. Validate has checked
// them.
func newAssetFilter(root string, globs []string) *assetFilter {
	if len(globs) == 0 {
		return nil
	}
	a := &assetFilter{root: root}
	for _, g := range globs {
		g = cleanGlob(g)
		a.globs = append(a.globs, g)
		dir := ""
		if i := strings.IndexAny(g, "*?[{\\"); i >= 0 {
			if j := strings.LastIndexByte(g[:i], '/'); j >= 0 {
				dir = g[:j]
			}
		} else {
			dir = filepath.ToSlash(filepath.Dir(g))
		}
		if dir == "." {
			dir = ""
		}
		a.prefixes = append(a.prefixes, dir)
	}
	return a
}

// rel returns path relative to the root, "/"-separated; ok is false for a
// path outside it.
func (a *assetFilter) rel(path string) (string, bool) {
	rel, err := filepath.Rel(a.root, path)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// match reports whether the file at the absolute path is an asset.
func (a *assetFilter) match(path string) bool {
	rel, ok := a.rel(path)
	if !ok {
		return false
	}
	for _, g := range a.globs {
		if doublestar.MatchUnvalidated(g, rel) {
			return true
		}
	}
	return false
}

// keepDir reports whether the directory at the absolute path lies on the
// literal path of a glob (static/css for "static/css/*.css"), so that it
// is entered even where an ignore rule (a .gitignore'd build output) would
// skip it. A glob that starts with a pattern keeps no directory.
func (a *assetFilter) keepDir(path string) bool {
	rel, ok := a.rel(path)
	if !ok {
		return false
	}
	for _, p := range a.prefixes {
		if p != "" && (p == rel || strings.HasPrefix(p, rel+"/") || strings.HasPrefix(rel, p+"/")) {
			return true
		}
	}
	return false
}

// options makes the watcher count assets whatever their extension, and
// lets them past the include, exclude and ignore rules of inner.
func (a *assetFilter) options(opts *watcher.Options) {
	opts.Also = a.match
	inner := opts.Ignore
	opts.Ignore = func(path string, isDir bool) bool {
		if isDir && a.keepDir(path) || !isDir && a.match(path) {
			return false
		}
		return inner != nil && inner(path, isDir)
	}
}

// splitAssets takes the assets out of a batch of changes and emits one
// BrowserRefresh for them (CSS when every one is a stylesheet). It returns
// what is left to build for; Count 0 means nothing.
func (s *Supervisor) splitAssets(b watcher.Batch) watcher.Batch {
	if s.assets == nil {
		return b
	}
	var rest, assets []string
	for _, p := range b.Paths {
		if s.assets.match(p) {
			rel, _ := s.assets.rel(p)
			assets = append(assets, rel)
		} else {
			rest = append(rest, p)
		}
	}
	if len(assets) == 0 {
		return b
	}
	css := true
	for _, p := range assets {
		css = css && strings.EqualFold(filepath.Ext(p), ".css")
	}
	s.emit(BrowserRefresh{Paths: assets, CSS: css, Source: "assets"})
	return watcher.Batch{Paths: rest, Count: b.Count - len(assets)}
}
