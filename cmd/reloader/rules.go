package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	toml "github.com/pelletier/go-toml/v2"

	sv "github.com/reloader-dev/reloader/supervisor"
)

// ruleKey is the array of tables that holds the rules: [[watch.rule]].
const ruleKey = "watch.rule"

// ruleFields are the keys a [[watch.rule]] table may hold.
const ruleFields = "name, match, exclude, run, then"

// addRules checks and stores the [[watch.rule]] tables, in file order. An
// error names the file, the line, the rule (index from 0, and its name)
// and the key.
func (fc *fileConfig) addRules(val any) error {
	list, ok := val.([]any)
	if !ok {
		if m, isMap := val.(map[string]any); isMap {
			list = []any{m}
		} else {
			return fmt.Errorf("%w: %s:%d: %s: want [[%s]] tables, got %s", errConfigFile, fc.path, fc.line(ruleKey), ruleKey, ruleKey, describe(val))
		}
	}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s:%d: %s[%d]: want a table, got %s", errConfigFile, fc.path, fc.line(ruleKey), ruleKey, i, describe(e))
		}
		r, err := fc.rule(i, m)
		if err != nil {
			return err
		}
		fc.rules = append(fc.rules, r)
	}
	return nil
}

// rule reads the i-th [[watch.rule]] table.
func (fc *fileConfig) rule(i int, m map[string]any) (sv.Rule, error) {
	r := sv.Rule{Then: sv.ThenRebuild}
	r.Name, _ = m["name"].(string)
	base := fmt.Sprintf("%s.%d", ruleKey, i)
	bad := func(field, format string, args ...any) error {
		label := fmt.Sprintf("%s[%d]", ruleKey, i)
		if r.Name != "" {
			label += fmt.Sprintf(" (%q)", r.Name)
		}
		return fmt.Errorf("%w: %s:%d: %s: %s: %s", errConfigFile, fc.path, fc.line(base+"."+field), label, field, fmt.Sprintf(format, args...))
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return fc.line(base+"."+a) - fc.line(base+"."+b) })
	for _, name := range names {
		val := m[name]
		switch name {
		case "name":
			if _, ok := val.(string); !ok {
				return r, bad(name, "want a string, got %s", describe(val))
			}
		case "match", "exclude":
			globs, err := normalise(kList, val)
			if err != nil {
				return r, bad(name, "%v", err)
			}
			list, isList := globs.([]string)
			if !isList {
				list = []string{globs.(string)}
			}
			for j, g := range list {
				g = strings.TrimPrefix(g, "./")
				if !doublestar.ValidatePattern(g) {
					return r, bad(name, "bad glob %q", g)
				}
				list[j] = g
			}
			if name == "match" {
				r.Match = list
			} else {
				r.Exclude = list
			}
		case "run":
			switch v := val.(type) {
			case string:
				if strings.TrimSpace(v) != "" {
					r.Run = shell(v)
				}
			default:
				argv, err := stringsOf(val, "a list of strings (run without a shell) or a string (run in a shell)")
				if err != nil {
					return r, bad(name, "%v", err)
				}
				if len(argv) > 0 && argv[0] == "" {
					return r, bad(name, "the command has an empty program name")
				}
				r.Run = argv
			}
		case "then":
			s, ok := val.(string)
			if !ok || !slices.Contains(sv.Thens(), sv.Then(s)) {
				return r, bad(name, "want one of \"rebuild\", \"restart\", \"reload\", \"none\", got %s", describe(val))
			}
			r.Then = sv.Then(s)
		default:
			return r, bad(name, "unknown key %q (a rule has %s)", name, ruleFields)
		}
	}
	if len(r.Match) == 0 {
		return r, bad("match", "a rule needs at least one glob, such as \"**/*.templ\"")
	}
	return r, nil
}

// writeRules prints the rules of fc as [[watch.rule]] tables, for
// `reloader config`: valid TOML after the dotted keys, each table with the
// line it came from. A run written as a string shows as the shell command
// it runs.
func writeRules(w io.Writer, fc *fileConfig) {
	for i, r := range fc.rules {
		fmt.Fprintf(w, "[[%s]] # %s:%d\n", ruleKey, fc.path, fc.line(fmt.Sprintf("%s.%d", ruleKey, i)))
		for _, kv := range []struct {
			key string
			val any
			set bool
		}{
			{"name", r.Name, r.Name != ""},
			{"match", r.Match, true},
			{"exclude", r.Exclude, len(r.Exclude) > 0},
			{"run", r.Run, len(r.Run) > 0},
			{"then", string(cmp.Or(r.Then, sv.ThenRebuild)), true},
		} {
			if !kv.set {
				continue
			}
			b, err := toml.Marshal(map[string]any{kv.key: kv.val})
			if err != nil {
				continue // strings and lists of strings always marshal
			}
			w.Write(b)
		}
	}
}
