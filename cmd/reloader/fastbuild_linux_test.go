package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// serverBins is buildServer's cache: each server is built once per test
// binary, into the directory TestMain removes. It is the one mutable
// package-level value of the tests, and only a cache.
var serverBins serverCache

type serverCache struct {
	mu     sync.Mutex
	builds map[string]*serverBuild
}

type serverBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

func (c *serverCache) get(t *testing.T, name string) string {
	t.Helper()
	path, out, err := c.build(t, name, "server", func(path string) *exec.Cmd { return goBuild(writeApp(t, name), path) })
	if err != nil {
		t.Fatalf("go build of server %s: %v\n%s", name, err, out)
	}
	return path
}

// build runs the command that cmd returns for the binary path, the file
// bin in a directory of name's own, once per test binary, and returns the
// path with the command's output and error.
func (c *serverCache) build(t *testing.T, name, bin string, cmd func(path string) *exec.Cmd) (string, []byte, error) {
	t.Helper()
	c.mu.Lock()
	if c.builds == nil {
		c.builds = map[string]*serverBuild{}
	}
	b := c.builds[name]
	if b == nil {
		b = &serverBuild{}
		c.builds[name] = b
	}
	c.mu.Unlock()
	b.once.Do(func() {
		b.path = filepath.Join(filepath.Dir(reloaderBin), "servers", name, bin)
		if b.err = os.MkdirAll(filepath.Dir(b.path), 0o755); b.err == nil {
			b.out, b.err = cmd(b.path).CombinedOutput()
		}
	})
	return b.path, b.out, b.err
}

// copyServer copies the binary of server NAME into a temp dir of the test,
// for a test that replaces the file.
func copyServer(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(buildServer(t, name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// cheapBuild returns reloader flags whose build step costs no compiler:
// it copies the prebuilt binary of server NAME (listenfd or stock) into a
// temp dir and writes beside it the version that main.go's const names,
// which the server serves instead of its own (testdata/servers). An edit
// of main.go still builds, swaps and serves the edited version; for tests
// whose promise is not about go build.
func cheapBuild(t *testing.T, name string) []string {
	t.Helper()
	bin := buildServer(t, name)
	out := t.TempDir()
	sh := fmt.Sprintf(`sed -n 's/^const version = "\(.*\)"$/\1/p' main.go >%[2]s/VERSION && cp %[1]s %[2]s/server.new && mv %[2]s/server.new %[2]s/server`, bin, out)
	return []string{"--build-command", sh, "--run-binary", filepath.Join(out, "server")}
}

// startCheapSession is startSession with cheapBuild in place of go run:
// the module of the server is watched and edits swap, without a compiler.
func startCheapSession(t *testing.T, server string, extra ...string) *session {
	t.Helper()
	return startCheapSessionIn(t, writeApp(t, server), server, extra...)
}

// startCheapSessionIn is startCheapSession in dir, a module of the server
// (writeApp) to which the test may have added files.
func startCheapSessionIn(t *testing.T, dir, server string, extra ...string) *session {
	t.Helper()
	s := newSession(t, dir)
	args := append([]string{"-l", "web=" + s.addr, "--debounce", "20ms"}, cheapBuild(t, server)...)
	s.r = startReloader(t, s.dir, append(args, extra...)...)
	s.waitReady()
	return s
}
