package instrument

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed hook.go.tmpl
var hookSource []byte

// FileName is the name the generated file takes in the app's package
// directory, through the overlay. It sorts before any usual file name, so
// the hooks are installed before the app's own package-level variables are
// initialised.
const FileName = "0000_reloader_hook.go"

// hookFile is the name of the generated file in the build directory.
const hookFile = "reloader_hook.go"

// Source returns the generated Go file.
func Source() []byte { return append([]byte(nil), hookSource...) }

// Write writes the generated file into dir, reloader's private build
// directory, and returns its path.
func Write(dir string) (string, error) {
	file := filepath.Join(dir, hookFile)
	if err := os.WriteFile(file, hookSource, 0o600); err != nil {
		return "", fmt.Errorf("instrument: write %s: %w", file, err)
	}
	return file, nil
}

// overlay is the JSON `go build -overlay` reads.
type overlay struct {
	Replace map[string]string
}

// Overlay writes the generated file into buildDir (as Write) and, beside
// it, the -overlay JSON that adds it to the package in pkgDir as FileName,
// and returns the JSON's path and the path the file takes in pkgDir (to
// append to a build that names its .go files). base, if not "", is the
// user's own overlay file, whose replacements are kept. It fails if pkgDir
// is not a directory or already has a FileName of its own. Nothing in
// pkgDir is written.
func Overlay(buildDir, pkgDir, base string) (overlayJSON, pkgFile string, err error) {
	pkgDir, err = filepath.Abs(pkgDir)
	if err != nil {
		return "", "", fmt.Errorf("instrument: package dir %s: %w", pkgDir, err)
	}
	if fi, err := os.Stat(pkgDir); err != nil {
		return "", "", fmt.Errorf("instrument: package dir: %w", err)
	} else if !fi.IsDir() {
		return "", "", fmt.Errorf("instrument: package dir %s is not a directory", pkgDir)
	}
	pkgFile = filepath.Join(pkgDir, FileName)
	if _, err := os.Lstat(pkgFile); err == nil {
		return "", "", fmt.Errorf("instrument: %s exists; reloader will not shadow it", pkgFile)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("instrument: %w", err)
	}
	file, err := Write(buildDir)
	if err != nil {
		return "", "", err
	}
	o := overlay{Replace: map[string]string{}}
	if base != "" {
		b, err := os.ReadFile(base)
		if err != nil {
			return "", "", fmt.Errorf("instrument: -overlay: %w", err)
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return "", "", fmt.Errorf("instrument: -overlay %s: %w", base, err)
		}
		if o.Replace == nil {
			o.Replace = map[string]string{}
		}
	}
	o.Replace[pkgFile] = file
	b, err := json.Marshal(o)
	if err != nil {
		return "", "", fmt.Errorf("instrument: overlay: %w", err)
	}
	overlayJSON = filepath.Join(buildDir, "reloader_overlay.json")
	if err := os.WriteFile(overlayJSON, b, 0o600); err != nil {
		return "", "", fmt.Errorf("instrument: write %s: %w", overlayJSON, err)
	}
	return overlayJSON, pkgFile, nil
}
