//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// airModule is the air release the baselines install.
const airModule = "github.com/air-verse/air@v1.67.4"

// env is what every scenario shares: the options, a temp dir, the reloader
// binary built from this checkout and, if it installed, air.
type env struct {
	opts      options
	tmp       string
	reloader  string
	air       string // "" when air is skipped; airNote says why
	airNote   string
	goVersion string
	goSum     []byte
	seq       int // numbers the modules newModule writes
}

// wait is how long to wait for something that spans a build: d, or 5×d in
// a quick run, which runs inside the test suite, where other tests' load
// has made a niced build take 50s on 2 cores.
func (e *env) wait(d time.Duration) time.Duration {
	if e.opts.Quick {
		return 5 * d
	}
	return d
}

func newEnv(ctx context.Context, o options) (*env, error) {
	tmp, err := os.MkdirTemp("", "reloader-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{opts: o, tmp: tmp}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	e.goVersion = strings.TrimSpace(string(out))
	if e.goSum, err = os.ReadFile(filepath.Join(o.Repo, "go.sum")); err != nil {
		return nil, err
	}
	e.reloader = filepath.Join(tmp, "reloader")
	o.Log.Info("building reloader", "out", e.reloader)
	if err := e.goCmd(ctx, o.Repo, nil, "build", "-o", e.reloader, "./cmd/reloader"); err != nil {
		return nil, err
	}
	switch {
	case o.NoAir:
		e.airNote = "air skipped (-no-air)"
	case o.Quick:
		e.airNote = "air skipped in -quick mode"
	default:
		e.installAir(ctx)
	}
	ok = true
	return e, nil
}

// installAir installs air into a temp GOBIN, or records why it could not.
func (e *env) installAir(ctx context.Context) {
	gobin := filepath.Join(e.tmp, "gobin")
	e.opts.Log.Info("installing air", "module", airModule)
	ictx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	if err := e.goCmd(ictx, e.tmp, []string{"GOBIN=" + gobin}, "install", airModule); err != nil {
		e.airNote = fmt.Sprintf("air baseline skipped: `go install %s` failed: %v", airModule, firstLine(err.Error()))
		e.opts.Log.Warn("air not installed; skipping its baselines", "err", err)
		return
	}
	e.air = filepath.Join(gobin, "air")
}

func (e *env) close() {
	killStrays(e.tmp)
	os.RemoveAll(e.tmp)
}

// goCmd runs the go command in dir and returns its output in the error.
func (e *env) goCmd(ctx context.Context, dir string, extraEnv []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, out)
	}
	return nil
}

// newModule writes a module with files (path -> content) into a fresh temp
// dir. withRepo adds a require and replace for this checkout, for servers
// that import listenfd.
func (e *env) newModule(ctx context.Context, name string, files map[string]string, withRepo bool) (string, error) {
	e.seq++
	dir := filepath.Join(e.tmp, fmt.Sprintf("%02d-%s", e.seq, name))
	gomod := "module example.com/app\n\ngo 1.26.0\n"
	if withRepo {
		gomod += fmt.Sprintf("\nrequire github.com/reloader-dev/reloader v0.0.0\n\nreplace github.com/reloader-dev/reloader => %s\n", e.opts.Repo)
	}
	all := map[string]string{"go.mod": gomod, "go.sum": string(e.goSum)}
	for p, c := range files {
		all[p] = c
	}
	for p, c := range all {
		if err := writeFile(filepath.Join(dir, p), c); err != nil {
			return "", err
		}
	}
	if withRepo {
		// Settle go.mod and go.sum before a tool watches them.
		if err := e.goCmd(ctx, dir, nil, "build", "-mod=mod", "-o", os.DevNull, "."); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

var reVersion = regexp.MustCompile(`const version = "[^"]*"`)

// setVersion rewrites `const version = "..."` in dir/main.go.
func setVersion(dir, v string) error {
	p := filepath.Join(dir, "main.go")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if !reVersion.Match(b) {
		return fmt.Errorf("%s has no version const", p)
	}
	return os.WriteFile(p, reVersion.ReplaceAll(b, []byte(`const version = "`+v+`"`)), 0o644)
}

// findRepo returns the root of the reloader checkout at or above the
// working directory.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/reloader-dev/reloader\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run bench inside the reloader checkout (no go.mod of github.com/reloader-dev/reloader above the working directory)")
		}
		dir = parent
	}
}

// machine describes the host for the report.
type machine struct {
	CPU    string
	Cores  int
	MemGiB float64
	Kernel string
	Load   string // /proc/loadavg's 1, 5 and 15 minute figures at the start
}

func machineInfo() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb := procField("/proc/meminfo", "MemTotal"); kb > 0 {
		m.MemGiB = float64(kb) / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func itoa(n int) string { return strconv.Itoa(n) }
