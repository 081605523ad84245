package instrument

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOverlayKeepsTheUsersAndWritesNothingInThePackage(t *testing.T) {
	t.Parallel()
	pkg, build := t.TempDir(), t.TempDir()
	user := filepath.Join(t.TempDir(), "user.json")
	if err := os.WriteFile(user, []byte(`{"Replace":{"gen/x.go":"/tmp/x.go"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	overlayJSON, pkgFile, err := Overlay(build, pkg, user)
	if err != nil {
		t.Fatal(err)
	}
	if pkgFile != filepath.Join(pkg, FileName) {
		t.Errorf("pkgFile = %s, want %s", pkgFile, filepath.Join(pkg, FileName))
	}
	var o overlay
	b, err := os.ReadFile(overlayJSON)
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil {
		t.Fatal(err)
	}
	hook := o.Replace[pkgFile]
	if o.Replace["gen/x.go"] != "/tmp/x.go" || !strings.HasPrefix(hook, build) {
		t.Errorf("overlay %s, want the user's entry and the hook file in %s", b, build)
	}
	if src, err := os.ReadFile(hook); err != nil || string(src) != string(Source()) {
		t.Errorf("hook file %s: %v, want the embedded source", hook, err)
	}
	if ents, _ := os.ReadDir(pkg); len(ents) != 0 {
		t.Errorf("the package dir has %d entries, want none written", len(ents))
	}
}

func TestOverlayRefusesToShadowAFile(t *testing.T) {
	t.Parallel()
	pkg := t.TempDir()
	if err := os.WriteFile(filepath.Join(pkg, FileName), []byte("package main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Overlay(t.TempDir(), pkg, ""); err == nil || !strings.Contains(err.Error(), FileName) {
		t.Errorf("Overlay over an existing %s: %v, want an error naming it", FileName, err)
	}
}
