package instrument

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hookTargets parses the generated file and returns, for every variable it
// pulls with //go:linkname, the target ("net.socketFunc") and the type the
// file declares for it.
func hookTargets(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "hook.go.tmpl", hookSource, parser.ParseComments)
	if err != nil {
		t.Fatalf("hook.go.tmpl does not parse: %v", err)
	}
	local := map[string]string{} // local name -> target
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if fields := strings.Fields(c.Text); len(fields) == 3 && fields[0] == "//go:linkname" {
				local[fields[1]] = fields[2]
			}
		}
	}
	out := map[string]string{}
	for name, typ := range varTypes(fset, f) {
		if target, ok := local[name]; ok {
			out[target] = typ
		}
	}
	if len(out) != 4 {
		t.Fatalf("hook.go.tmpl links %d variables, want 4: %v", len(out), out)
	}
	return out
}

// varTypes returns the declared type of every package-level var of f.
func varTypes(fset *token.FileSet, f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if vs.Type == nil {
				continue
			}
			var b bytes.Buffer
			printer.Fprint(&b, fset, vs.Type)
			for _, n := range vs.Names {
				out[n.Name] = b.String()
			}
		}
	}
	return out
}

// TestGuardToolchainHooks fails when the toolchain that builds apps no
// longer declares a hook the generated file wraps, with the type it
// assumes: instrumented builds would then fail to link, and reloader would
// fall back to plain builds on every run.
func TestGuardToolchainHooks(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	files := map[string]string{
		"net":           filepath.Join(goroot, "src", "net", "hook_unix.go"),
		"internal/poll": filepath.Join(goroot, "src", "internal", "poll", "hook_cloexec.go"),
	}
	for target, want := range hookTargets(t) {
		pkg, name, _ := strings.Cut(target, ".")
		file, ok := files[pkg]
		if !ok {
			t.Errorf("hook.go.tmpl links %s, which this test does not know where to look for", target)
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("toolchain hook %s: cannot read %s: %v", target, file, err)
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, file, src, 0)
		if err != nil {
			t.Errorf("toolchain hook %s: %s does not parse: %v", target, file, err)
			continue
		}
		got, ok := varTypes(fset, f)[name]
		switch {
		case !ok:
			t.Errorf("toolchain hook %s is gone: %s declares no var %s; build instrumentation must be updated for this Go version", target, file, name)
		case got != want:
			t.Errorf("toolchain hook %s changed type: %s declares %s %s, hook.go.tmpl assumes %s", target, file, name, got, want)
		}
	}
}
