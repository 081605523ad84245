package supervisor

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/reloader-dev/reloader/internal/proc"
)

// depSet is what the binary of a `go run` command is built from, as `go
// list -deps` sees it: the directories of its packages outside GOROOT and
// the module cache, the files they embed, and the module files that decide
// the rest.
type depSet struct {
	dirs   map[string]bool // package directories, absolute and clean
	embeds map[string]bool // embedded files, absolute and clean
	// roots are the module roots of dirs outside the main watch root:
	// go.work `use` directories and `replace ../x` targets. Sorted.
	roots []string
	// work is the go.work file in use; "" if none.
	work string
}

// goListTemplate prints, for each non-standard package, its directory and
// its embedded files, tab-separated.
const goListTemplate = `{{if not .Standard}}{{.Dir}}{{range .EmbedFiles}}{{"\t"}}{{.}}{{end}}{{end}}`

// listFlags are the build flags of the go run command that `go list`
// shares and that can change which packages are built: everything but
// those that only print or only touch the link.
func listFlags(flags []string) []string {
	var out []string
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		takesNext := goBuildValueFlags[name] && !hasValue && i+1 < len(flags)
		switch name {
		case "json", "n", "x", "v", "work", "a", "ldflags", "gcflags", "asmflags", "gccgoflags", "toolexec", "pgo":
			if takesNext {
				i++
			}
			continue
		}
		out = append(out, f)
		if takesNext {
			out = append(out, flags[i+1])
			i++
		}
	}
	return out
}

// listDeps runs `go list -deps` on the go run target in the build's
// directory and environment, with its flags (-tags, -mod, -C...), and
// returns what the binary is built from. root is the main watch root;
// packages outside it add their module root to depSet.roots.
func (s *Supervisor) listDeps(ctx context.Context, root string) (depSet, error) {
	g := s.gorun
	flags := listFlags(append(append([]string{}, g.Flags...), s.cfg.BuildFlags...))
	env, err := s.goOutput(ctx, g.Go, "env", "GOROOT", "GOMODCACHE", "GOWORK")
	if err != nil {
		return depSet{}, err
	}
	vals := strings.Split(strings.TrimRight(env, "\n"), "\n")
	for len(vals) < 3 {
		vals = append(vals, "")
	}
	goroot, modcache, work := vals[0], vals[1], strings.TrimSpace(vals[2])
	// -C, if given, must come first: the flags keep the order they had.
	args := append(append([]string{"list"}, flags...), "-deps", "-f", goListTemplate)
	out, err := s.goOutput(ctx, g.Go, append(args, g.Pkg...)...)
	if err != nil {
		return depSet{}, err
	}
	d := depSet{dirs: map[string]bool{}, embeds: map[string]bool{}}
	if work != "" && work != "off" {
		d.work = filepath.Clean(work)
	}
	roots := map[string]bool{}
	// go reports directories with symbolic links resolved; the watcher
	// reports them under root as written.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	for line := range strings.Lines(out) {
		fields := strings.Split(strings.TrimRight(line, "\r\n"), "\t")
		dir := filepath.Clean(fields[0])
		if fields[0] == "" || !filepath.IsAbs(dir) ||
			goroot != "" && isUnder(dir, filepath.Clean(goroot)) || modcache != "" && isUnder(dir, filepath.Clean(modcache)) {
			continue
		}
		if real != root && !isUnder(dir, root) && isUnder(dir, real) {
			dir = filepath.Join(root, strings.TrimPrefix(dir, real))
		}
		d.dirs[dir] = true
		for _, e := range fields[1:] {
			d.embeds[filepath.Join(dir, e)] = true
		}
		if !isUnder(dir, root) {
			roots[moduleRoot(dir)] = true
		}
	}
	if len(d.dirs) == 0 {
		return depSet{}, fmt.Errorf("supervisor: go list -deps %s: no package outside GOROOT and the module cache", strings.Join(g.Pkg, " "))
	}
	for r := range roots {
		d.roots = append(d.roots, r)
	}
	slices.Sort(d.roots)
	return d, nil
}

// goOutput runs the go command with args in the build directory and
// environment and returns its standard output. It runs as builds do: in a
// process group of its own at the build priority (BuildNice), since it
// runs after each swap while the app serves. A failure names the command
// and carries what it printed on stderr.
func (s *Supervisor) goOutput(ctx context.Context, goCmd string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = s.dir
	cmd.Env = mergeEnv(childEnv(cmd.Environ()), s.cfg.BuildEnv)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := proc.RunGroup(s.reaper, cmd, proc.Lower{Nice: s.cfg.BuildNice, Shim: s.shim}); err != nil {
		return "", fmt.Errorf("supervisor: %s %s: %w: %s", goCmd, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// isUnder reports whether path is dir or below it. Both are clean.
func isUnder(path, dir string) bool {
	if path == dir {
		return true
	}
	return strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}
