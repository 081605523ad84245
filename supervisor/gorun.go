package supervisor

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrBadGoRun is wrapped by every error from ParseGoRun.
var ErrBadGoRun = errors.New("supervisor: bad go run command")

// GoRun is a `go run [build flags] PKG [args]` command split into its parts.
type GoRun struct {
	Go    string   // the go command as written, usually "go"
	Flags []string // build flags, as written
	Pkg   []string // the package path, or the .go files that make it
	Args  []string // arguments for the program
}

// goBuildValueFlags are the `go run` flags that take a value in the next
// argument when written without "=".
var goBuildValueFlags = map[string]bool{
	"C": true, "p": true, "asmflags": true, "buildmode": true, "compiler": true,
	"gccgoflags": true, "gcflags": true, "installsuffix": true, "ldflags": true,
	"mod": true, "modfile": true, "overlay": true, "pgo": true, "pkgdir": true,
	"tags": true, "toolexec": true, "coverpkg": true, "covermode": true,
	"exec": true, "o": true,
}

// goBuildBoolFlags are the `go run` flags that take no separate value.
var goBuildBoolFlags = map[string]bool{
	"a": true, "n": true, "race": true, "msan": true, "asan": true, "cover": true,
	"v": true, "work": true, "x": true, "trimpath": true, "linkshared": true,
	"modcacherw": true, "buildvcs": true, "json": true,
}

// ParseGoRun reports whether argv is a `go run` command and, if so, splits
// it. It returns ok=false with a nil error for any other command.
func ParseGoRun(argv []string) (g GoRun, ok bool, err error) {
	if len(argv) < 2 || filepath.Base(argv[0]) != "go" && filepath.Base(argv[0]) != "go.exe" || argv[1] != "run" {
		return GoRun{}, false, nil
	}
	g.Go = argv[0]
	rest := argv[2:]
	i := 0
	for ; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			return GoRun{}, true, fmt.Errorf("%w: %q: `go run` takes no \"--\" before the package", ErrBadGoRun, strings.Join(argv, " "))
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == "exec" || name == "o":
			return GoRun{}, true, fmt.Errorf("%w: flag -%s cannot be used under reloader, which builds the binary and runs it itself", ErrBadGoRun, name)
		case goBuildValueFlags[name]:
			if !hasValue {
				if i+1 >= len(rest) {
					return GoRun{}, true, fmt.Errorf("%w: flag -%s needs a value", ErrBadGoRun, name)
				}
				g.Flags = append(g.Flags, a, rest[i+1])
				i++
				continue
			}
		case goBuildBoolFlags[name]:
		default:
			return GoRun{}, true, fmt.Errorf("%w: unknown build flag %q", ErrBadGoRun, a)
		}
		g.Flags = append(g.Flags, a)
	}
	if i >= len(rest) {
		return GoRun{}, true, fmt.Errorf("%w: %q names no package to run", ErrBadGoRun, strings.Join(argv, " "))
	}
	if strings.HasSuffix(rest[i], ".go") {
		for ; i < len(rest) && strings.HasSuffix(rest[i], ".go") && !strings.HasPrefix(rest[i], "-"); i++ {
			g.Pkg = append(g.Pkg, rest[i])
		}
	} else {
		g.Pkg = []string{rest[i]}
		i++
	}
	g.Args = append([]string{}, rest[i:]...)
	return g, true, nil
}

// BuildArgs returns the `go build` argv that writes the binary to out, linked
// the way `go run` links: without DWARF and the symbol table, unless debug is
// set (which keeps them for delve).
func (g GoRun) BuildArgs(out string, debug bool) []string {
	args := []string{g.Go, "build"}
	var ldflags string
	hasLD, hasVCS := false, false
	for i := 0; i < len(g.Flags); i++ {
		f := g.Flags[i]
		name, val, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "ldflags":
			hasLD = true
			if !hasValue && i+1 < len(g.Flags) {
				val = g.Flags[i+1]
				i++
			}
			ldflags = val
			continue
		case "buildvcs":
			hasVCS = true
		}
		args = append(args, f)
		if goBuildValueFlags[name] && !hasValue && i+1 < len(g.Flags) {
			args = append(args, g.Flags[i+1])
			i++
		}
	}
	if !debug {
		ldflags = strings.TrimSpace(ldflags + " -s -w")
	}
	if hasLD || ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	if !hasVCS {
		// go run does not stamp VCS information; neither do we.
		args = append(args, "-buildvcs=false")
	}
	args = append(args, "-o", out)
	return append(args, g.Pkg...)
}
