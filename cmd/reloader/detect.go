package main

import (
	"errors"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// zeroConfig is what reloader runs when nothing says what to run: go run of
// the module's main package.
type zeroConfig struct {
	Pkg string // ./cmd/api or ., relative to the working directory
	Why string // how it was found, for the log line
}

// Command is the command line: go run PKG.
func (z zeroConfig) Command() []string { return []string{"go", "run", z.Pkg} }

// detectMain picks the package to run for the module that holds dir: the
// module root if it is a main package, or else the only main package under
// cmd/ (cmd/NAME). None or several is an error that names what it found
// and how to choose. Package clauses are read with go/parser, files
// excluded by build constraints and _test.go files left out; no go
// command runs.
func detectMain(dir string) (zeroConfig, error) {
	root, err := moduleRoot(dir)
	if err != nil {
		return zeroConfig{}, err
	}
	rootName, err := packageName(root)
	if err != nil {
		return zeroConfig{}, err
	}
	if rootName == "main" {
		return zeroConfig{Pkg: relPkg(dir, root), Why: "the module root is a main package"}, nil
	}
	cmds, err := cmdMains(root)
	if err != nil {
		return zeroConfig{}, err
	}
	switch len(cmds) {
	case 1:
		return zeroConfig{Pkg: relPkg(dir, cmds[0]), Why: "the only main package under cmd/"}, nil
	case 0:
		found := "package " + rootName
		if rootName == "" {
			found = "no Go files"
		}
		return zeroConfig{}, &usageError{fmt.Errorf("%w: no %s and no command, and the module at %s has no main package to run: its root has %s and cmd/ has no main package; name one: reloader -- go run ./path/to/main, or write command in %s (reloader init --main ./path/to/main)",
			errNothingToRun, DefaultConfigFile, root, found, DefaultConfigFile)}
	}
	rels := make([]string, len(cmds))
	for i, c := range cmds {
		rels[i] = relPkg(dir, c)
	}
	return zeroConfig{}, &usageError{fmt.Errorf("%w: no %s and no command, and the module at %s has several main packages under cmd/ (%s); choose one: reloader -- go run %s, or write it in %s (reloader init --main %s)",
		errNothingToRun, DefaultConfigFile, root, strings.Join(rels, ", "), rels[0], DefaultConfigFile, rels[0])}
}

// moduleRoot returns the directory of the go.mod that holds dir.
func moduleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("reloader: %w", err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", &usageError{fmt.Errorf("%w: no %s here, no command, and %s is not in a Go module (no go.mod): use reloader [flags] -- COMMAND, e.g. reloader -- go run ./cmd/api, or reloader init",
				errNothingToRun, DefaultConfigFile, abs)}
		}
	}
}

// packageName returns the package clause of the Go files in dir that the
// current platform builds, "" if there are none.
func packageName(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("reloader: %w", err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, name); err != nil || !ok {
			continue // build constraints exclude it (//go:build ignore, _windows.go)
		}
		path := filepath.Join(dir, name)
		f, err := parser.ParseFile(fset, path, nil, parser.PackageClauseOnly)
		if err != nil {
			return "", fmt.Errorf("reloader: %w", err)
		}
		return f.Name.Name, nil
	}
	return "", nil
}

// cmdMains returns the directories cmd/NAME of root that hold a main
// package.
func cmdMains(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reloader: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		d := filepath.Join(root, "cmd", e.Name())
		name, err := packageName(d)
		if err != nil {
			return nil, err
		}
		if name == "main" {
			out = append(out, d)
		}
	}
	return out, nil
}

// relPkg names package directory pkg for go run in dir: "." or "./cmd/api"
// (or "../cmd/api" from below the module root).
func relPkg(dir, pkg string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return pkg
	}
	rel, err := filepath.Rel(abs, pkg)
	if err != nil {
		return pkg
	}
	rel = filepath.ToSlash(rel)
	if rel == "." || strings.HasPrefix(rel, "../") {
		return rel
	}
	return "./" + rel
}
