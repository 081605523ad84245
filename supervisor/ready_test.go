package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fileContains finds a sender's name anywhere in a binary, also where it
// straddles the boundary between two chunks it reads, and not in a file
// that lacks it or in none at all.
func TestFileContains(t *testing.T) {
	t.Parallel()
	const name = "github.com/coreos/go-systemd/v22/daemon.SdNotify"
	dir := t.TempDir()
	write := func(file string, at int) string {
		b := bytes.Repeat([]byte{0}, 3<<20)
		if at >= 0 {
			copy(b[at:], name)
		}
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	subs := []string{"github.com/reloader-dev/reloader/listenfd.notify", name}
	for _, c := range []struct {
		file string
		at   int
		want bool
	}{
		{"start", 0, true},
		{"boundary", 1<<20 - 10, true},
		{"second-boundary", 2<<20 - len(name) + 1, true},
		{"end", 3<<20 - len(name), true},
		{"none", -1, false},
	} {
		if got := fileContains(write(c.file, c.at), subs); got != c.want {
			t.Errorf("%s (name at %d): fileContains = %v, want %v", c.file, c.at, got, c.want)
		}
	}
	if fileContains(filepath.Join(dir, "missing"), subs) {
		t.Error("a missing file contains the name")
	}
}
