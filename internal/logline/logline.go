// Package logline reads reloader's text log lines (slog's text format):
// their key=value attributes and the stable event= attribute every
// supervisor line carries. The end-to-end tests of cmd/reloader and the
// benchmark read reloader's output with it instead of matching message
// text, which may change.
package logline

import (
	"regexp"
	"strconv"
	"strings"
)

// reAttr is one key=value; the value may be quoted.
var reAttr = regexp.MustCompile(`([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S*)`)

// Attrs returns the attributes of a text log line, quoted values unquoted.
// A key that appears twice keeps its first value.
func Attrs(line string) map[string]string {
	m := map[string]string{}
	for _, kv := range reAttr.FindAllStringSubmatch(line, -1) {
		v := kv[2]
		if strings.HasPrefix(v, `"`) {
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
		}
		if _, dup := m[kv[1]]; !dup {
			m[kv[1]] = v
		}
	}
	return m
}

// Is reports whether line has event=name and every attribute in want,
// each written "key=value".
func Is(line, name string, want ...string) bool {
	if !strings.Contains(line, "event="+name) {
		return false
	}
	a := Attrs(line)
	if a["event"] != name {
		return false
	}
	for _, kv := range want {
		k, v, _ := strings.Cut(kv, "=")
		if a[k] != v {
			return false
		}
	}
	return true
}
