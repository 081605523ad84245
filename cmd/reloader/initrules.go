package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// errFound stops a walk that found what it looked for.
var errFound = errors.New("found")

// templRule returns the [[watch.rule]] that `reloader init` writes for a
// module in dir with *.templ files, "" if it has none: templ generate, then
// a rebuild. It runs `go tool templ` when go.mod has templ as a tool, and
// the templ command otherwise.
func templRule(dir string) string {
	found := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && path != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "vendor" || d.Name() == "node_modules" || d.Name() == "testdata"):
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(d.Name(), ".templ"):
			return errFound
		}
		return nil
	}) == errFound
	if !found {
		return ""
	}
	run := `["templ", "generate"]`
	if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && templTool.Match(b) {
		run = `["go", "tool", "templ", "generate"]`
	}
	return `
# templ: an edit of a .templ file runs templ generate, then rebuilds. What the
# rule writes (*_templ.go) is no new change. Every rule runs once at start.
[[watch.rule]]
name = "templ"
match = ["**/*.templ"]
run = ` + run + `
then = "rebuild"
`
}

// templTool finds templ in a go.mod's tool directives.
var templTool = regexp.MustCompile(`(?m)^\s*(tool\s+|\t)github\.com/a-h/templ/cmd/templ\s*$`)
