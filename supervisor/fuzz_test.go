package supervisor

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseAddress: no input panics; every error is ErrBadAddress and names
// the value; every success round-trips through String.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", ":0", "[::1]:80", "web=127.0.0.1:1", "unix:/tmp/a.sock", "udp:127.0.0.1:53", "a=unix:/x=y", "=:1", "x", "[::1", "udp:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) || !strings.HasPrefix(err.Error(), "supervisor: ") {
				t.Fatalf("ParseAddress(%q) error %q is not a prefixed ErrBadAddress", s, err)
			}
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseAddress(%q) error %q does not name the value", s, err)
			}
			return
		}
		b, err := ParseAddress(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseAddress(%q) = %+v, but its String %q parses to %+v, %v", s, a, a.String(), b, err)
		}
	})
}

// FuzzParseGoRun: no argv panics; errors are ErrBadGoRun; a parsed command
// keeps every argument in Flags, Pkg or Args, in order.
func FuzzParseGoRun(f *testing.F) {
	for _, s := range []string{"go run .", "go run -race -tags dev ./cmd/api -x", "go run main.go a.go -v", "go run -ldflags", "go run -- .", "go run -exec sudo .", "go\nrun\n-tags\n\n./cmd/my app\n", "go\nrun\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Arguments are split on white space, or on newlines when there
		// are any, so empty arguments and ones with spaces are tried too.
		argv := strings.Fields(s)
		if strings.Contains(s, "\n") {
			argv = strings.Split(s, "\n")
		}
		g, ok, err := ParseGoRun(argv)
		if err != nil {
			if !ok || !errors.Is(err, ErrBadGoRun) || !strings.HasPrefix(err.Error(), "supervisor: bad go run command: ") {
				t.Fatalf("ParseGoRun(%q): ok=%v err=%v, want a prefixed ErrBadGoRun", argv, ok, err)
			}
			return
		}
		if !ok {
			return
		}
		got := append(append(append([]string{g.Go, "run"}, g.Flags...), g.Pkg...), g.Args...)
		if strings.Join(got, "\x00") != strings.Join(argv, "\x00") {
			t.Fatalf("ParseGoRun(%q) lost or moved arguments: %#v", argv, g)
		}
		if len(g.Pkg) == 0 {
			t.Fatalf("ParseGoRun(%q) has no package", argv)
		}
		g.BuildArgs("/tmp/out", false)
	})
}
