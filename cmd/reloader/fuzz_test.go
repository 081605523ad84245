package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConfigFile: no .reloader.toml panics the loader; every load error is
// a prefixed config error naming the file, and a file that loads builds a
// config or says why not, naming the file or the key's origin.
func FuzzConfigFile(f *testing.F) {
	seeds := []string{
		"listen = [\"127.0.0.1:8080\"]\ncommand = [\"go\", \"run\", \".\"]\n",
		"[run]\nstop_timeout = \"0s\"\nready = \"notify\"\n",
		"[watch]\ndebounce = 5\n",
		"listen = 3\n",
		"[proxy]\nenabled = true\nhold = \"1m\"\n",
		"command = \"go run ./cmd/api\"\n[hooks]\npre_build = [\"go\", \"generate\"]\n",
		"unknown = 1\n",
		"[[run]]\n",
	}
	if b, err := os.ReadFile("../../.reloader.toml"); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		var errBuf bytes.Buffer
		io := ioStreams{Out: &bytes.Buffer{}, Err: &errBuf}
		cmd := newCmdRoot(io, nil)
		s, err := loadConfig(cmd.Flags(), path)
		if err != nil {
			if msg := err.Error(); !errors.Is(err, errConfigFile) || !strings.Contains(msg, "fuzz.toml") {
				t.Fatalf("load error is not a config error naming the file: %q", msg)
			}
			return
		}
		s.args = nil
		if _, err := buildConfig(s, io); err != nil {
			msg := err.Error()
			var ue *usageError
			if !errors.As(err, &ue) && !isConfigError(err) {
				t.Fatalf("build error %q is not bad input (exit 2)", msg)
			}
			if errors.Is(err, errConfigFile) && !strings.Contains(msg, "fuzz.toml") && !strings.Contains(msg, "default value") {
				t.Fatalf("config error names no origin: %q", msg)
			}
		}
	})
}
