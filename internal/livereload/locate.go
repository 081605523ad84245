package livereload

import (
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultEditorURL opens a file:line:col in VS Code.
const DefaultEditorURL = "vscode://file/{path}:{line}:{col}"

// A Part is a piece of build or crash output for the overlay: text, and an
// editor link when Href is not "". The script puts Text in with
// textContent, so output is never parsed as HTML.
type Part struct {
	Text string `json:"text"`
	Href string `json:"href,omitempty"`
}

// reLoc is a Go file position as the compiler and the runtime print it.
var reLoc = regexp.MustCompile(`(?:[A-Za-z]:)?[^\s:"'<>()]*\.go:(\d+)(?::(\d+))?`)

// Locate splits output into parts, each file.go:LINE[:COL] a link made
// from editorURL ({path} the absolute path, resolved against dir; {line};
// {col}, 1 when not printed). "" editorURL means DefaultEditorURL.
func Locate(output, dir, editorURL string) []Part {
	if editorURL == "" {
		editorURL = DefaultEditorURL
	}
	var parts []Part
	last := 0
	for _, m := range reLoc.FindAllStringSubmatchIndex(output, -1) {
		loc := output[m[0]:m[1]]
		file := loc[:strings.Index(loc, ".go:")+3]
		line, col := output[m[2]:m[3]], "1"
		if m[4] >= 0 {
			col = output[m[4]:m[5]]
		}
		path := file
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		path = filepath.ToSlash(path)
		href := strings.NewReplacer("{path}", path, "{line}", line, "{col}", col).Replace(editorURL)
		if m[0] > last {
			parts = append(parts, Part{Text: output[last:m[0]]})
		}
		parts = append(parts, Part{Text: loc, Href: href})
		last = m[1]
	}
	if last < len(output) {
		parts = append(parts, Part{Text: output[last:]})
	}
	return parts
}
