package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// fileConfig is a parsed config file: its values by dotted key, checked
// against configKeys and normalised to string, bool or []string, and the
// line each key is set on.
type fileConfig struct {
	path   string
	values map[string]any
	lines  map[string]int
}

// readConfigFile parses path. Syntax errors, unknown keys and values of the
// wrong type are errors naming path:line and the key. A missing file is an
// error wrapping os.ErrNotExist.
func readConfigFile(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", errConfigFile, err)
		}
		return nil, fmt.Errorf("%w: %w", errConfigFile, err)
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%w: %s:%d:%d: %s", errConfigFile, path, row, col, de.Error())
		}
		return nil, fmt.Errorf("%w: %s: %w", errConfigFile, path, err)
	}
	fc := &fileConfig{path: path, values: map[string]any{}, lines: keyLines(data)}
	if err := fc.add("", raw); err != nil {
		return nil, err
	}
	return fc, nil
}

// sections are the tables a config file may have.
func isSection(name string) bool {
	switch name {
	case "build", "run", "watch", "hooks", "log", "proxy", "browser":
		return true
	}
	return false
}

// add checks and stores the keys of table m, whose dotted name is prefix.
func (fc *fileConfig) add(prefix string, m map[string]any) error {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	// Report the first problem in file order.
	sort.Slice(names, func(i, j int) bool { return fc.line(prefix+names[i]) < fc.line(prefix+names[j]) })
	for _, name := range names {
		key, val := prefix+name, m[name]
		if sub, ok := val.(map[string]any); ok && prefix == "" && isSection(name) {
			if err := fc.add(key+".", sub); err != nil {
				return err
			}
			continue
		}
		k, ok := lookupKey(key)
		if !ok {
			return fmt.Errorf("%w: %s:%d: unknown key %q%s", errConfigFile, fc.path, fc.line(key), key, suggest(key))
		}
		norm, err := normalise(k.Kind, val)
		if err != nil {
			return fmt.Errorf("%w: %s:%d: %s: %w", errConfigFile, fc.path, fc.line(key), key, err)
		}
		fc.values[key] = norm
	}
	return nil
}

// line returns the line key is set on, or the line of its nearest
// enclosing table; 0 if unknown.
func (fc *fileConfig) line(key string) int {
	for {
		if l, ok := fc.lines[key]; ok {
			return l
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
}

// nested returns the values as nested tables, as viper wants them.
func (fc *fileConfig) nested() map[string]any {
	out := map[string]any{}
	for key, val := range fc.values {
		section, name, ok := strings.Cut(key, ".")
		if !ok {
			out[key] = val
			continue
		}
		sub, _ := out[section].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			out[section] = sub
		}
		sub[name] = val
	}
	return out
}

// normalise checks that val has the type kind k wants and returns it as a
// string, bool or []string.
func normalise(k kind, val any) (any, error) {
	switch k {
	case kString, kDuration, kLimit:
		if s, ok := val.(string); ok {
			return s, nil
		}
		if k != kString {
			return nil, fmt.Errorf("want a duration string such as \"500ms\" or \"5s\", got %s", describe(val))
		}
		return nil, fmt.Errorf("want a string, got %s", describe(val))
	case kBool:
		if b, ok := val.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("want true or false, got %s", describe(val))
	case kEnv:
		if m, ok := val.(map[string]any); ok {
			env := make([]string, 0, len(m))
			for name, v := range m {
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("%s: want a string, got %s", name, describe(v))
				}
				env = append(env, name+"="+s)
			}
			sort.Strings(env)
			return env, nil
		}
		list, err := stringsOf(val, "a list of \"KEY=VALUE\" strings or a table")
		if err != nil {
			return nil, err
		}
		for _, kv := range list {
			if !strings.Contains(kv, "=") {
				return nil, fmt.Errorf("%q is not KEY=VALUE", kv)
			}
		}
		return list, nil
	}
	// kList, kArgv, kCommand: a list of strings, or one string.
	if s, ok := val.(string); ok {
		return s, nil
	}
	return stringsOf(val, "a list of strings or a string")
}

func stringsOf(val any, want string) ([]string, error) {
	list, ok := val.([]any)
	if !ok {
		return nil, fmt.Errorf("want %s, got %s", want, describe(val))
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("want %s, got an element %s", want, describe(e))
		}
		out = append(out, s)
	}
	return out, nil
}

// describe names a TOML value's type for an error, with the value.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("float %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T %v", v, v)
}

// suggest names a known key that the unknown one probably meant.
func suggest(key string) string {
	name := key[strings.LastIndexByte(key, '.')+1:]
	for _, k := range configKeys {
		if k.Key != key && (strings.HasSuffix(k.Key, "."+name) || k.Key == name) {
			return fmt.Sprintf(" (did you mean %q?)", k.Key)
		}
	}
	return ""
}

// keyLines maps every dotted key in a TOML document to the line it is set
// on, tables included. Keys inside inline tables take the line of the key
// that holds the inline table (see fileConfig.line).
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(data)
	prefix := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			name, line := dottedKey(&p, e)
			prefix = name + "."
			if _, ok := lines[name]; !ok && line > 0 {
				lines[name] = line
			}
		case unstable.KeyValue:
			name, line := dottedKey(&p, e)
			if line > 0 {
				lines[prefix+name] = line
			}
		}
	}
	return lines
}

// dottedKey returns the key of a table or key-value expression and its line.
func dottedKey(p *unstable.Parser, e *unstable.Node) (string, int) {
	var parts []string
	line := 0
	it := e.Key()
	for it.Next() {
		n := it.Node()
		parts = append(parts, string(n.Data))
		if line == 0 && n.Raw.Length > 0 {
			line = p.Shape(n.Raw).Start.Line
		}
	}
	return strings.Join(parts, "."), line
}
