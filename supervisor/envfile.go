package supervisor

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/subosito/gotenv"
)

// EnvFile is a dotenv file whose variables the app gets (Config.EnvFiles).
type EnvFile struct {
	// Path is the file; a relative path is relative to Config.Dir.
	Path string
	// Optional makes a missing file hold no variables instead of an error
	// (reloader's default .env). false: the file must exist.
	Optional bool
}

// EnvVar is one variable of an env file, with where it was set.
type EnvVar struct {
	Key, Value string
	File       string // the file's path, absolute
	Line       int    // the line of its last assignment in File; 0 if not found
}

// ReadEnvFiles parses files in order with github.com/subosito/gotenv and
// returns their variables, one per key: a later file's value beats an
// earlier one's. dir resolves relative paths. A missing file that is not
// Optional, and a line the parser refuses, are errors naming the file
// (and the line).
func ReadEnvFiles(dir string, files []EnvFile) ([]EnvVar, error) {
	var out []EnvVar
	at := map[string]int{}
	for _, f := range files {
		path := f.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		b, err := os.ReadFile(path)
		if f.Optional && errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("supervisor: env file: %w", err)
		}
		env, err := gotenv.StrictParse(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("supervisor: env file %s:%d: %w", path, badLine(b), err)
		}
		for k, v := range env {
			ev := EnvVar{Key: k, Value: v, File: path, Line: keyLine(b, k)}
			if i, ok := at[k]; ok {
				out[i] = ev
				continue
			}
			at[k] = len(out)
			out = append(out, ev)
		}
	}
	return out, nil
}

// envList returns vars as KEY=VALUE entries.
func envList(vars []EnvVar) []string {
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		out = append(out, v.Key+"="+v.Value)
	}
	return out
}

// fileEnv reads Config.EnvFiles again, for a new generation.
func (s *Supervisor) fileEnv() ([]string, error) {
	if len(s.cfg.EnvFiles) == 0 {
		return nil, nil
	}
	vars, err := ReadEnvFiles(s.dir, s.cfg.EnvFiles)
	if err != nil {
		return nil, err
	}
	return envList(vars), nil
}

// keyLine returns the line of the last assignment to key in the dotenv
// text b, or 0.
func keyLine(b []byte, key string) int {
	re := regexp.MustCompile(`^\s*(?:export\s+)?` + regexp.QuoteMeta(key) + `\s*[=:]`)
	line := 0
	for i, l := range strings.Split(string(b), "\n") {
		if re.MatchString(l) {
			line = i + 1
		}
	}
	return line
}

// badLine returns the line of b at which gotenv fails: the first line
// whose prefix fails with the error the whole text fails with (for a quote
// left open, the line that opens it).
func badLine(b []byte) int {
	lines := strings.SplitAfter(string(b), "\n")
	_, whole := gotenv.StrictParse(bytes.NewReader(b))
	if whole == nil {
		return 0
	}
	fails := make([]bool, len(lines)+1)
	for n := 1; n <= len(lines); n++ {
		_, err := gotenv.StrictParse(strings.NewReader(strings.Join(lines[:n], "")))
		fails[n] = err != nil && err.Error() == whole.Error()
	}
	if whole.Error() == "missing quotes" {
		// Every prefix from the opening line on leaves the quote open.
		n := len(lines)
		for n > 1 && fails[n-1] {
			n--
		}
		return n
	}
	for n := 1; n <= len(lines); n++ {
		if fails[n] {
			return n
		}
	}
	return len(lines)
}
