//go:build unix

package proc

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// StartReaper starts the reaper: the exec shim's executable (the running
// reloader, whose main calls RunShimIfRequested) in reaper mode, with env
// plus ReaperEnv, in a process group of its own so that Ctrl-C and terminal
// hang-ups do not reach it. It reads process-group ids on its stdin. log
// receives a warning if the reaper dies early; nil means no warning.
func StartReaper(shim *Shim, env []string, log *slog.Logger) (*Reaper, error) {
	rd, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("proc: reaper: %w", err)
	}
	defer rd.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("proc: reaper: %w", err)
	}
	defer null.Close()
	files := []*os.File{rd, null, os.Stderr}
	path := shim.path
	if shim.f != nil {
		files = append(files, shim.f)
		path = "/proc/self/fd/3"
	}
	p, err := os.StartProcess(path, []string{shim.path}, &os.ProcAttr{
		Env:   append(env[:len(env):len(env)], ReaperEnv+"=1"),
		Files: files,
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("proc: reaper: %w", err)
	}
	go p.Wait() // reap it when it exits after Close
	return &Reaper{w: w, log: log}, nil
}

// runReaper is the reaper process: it records the groups it is told about
// and, when its stdin ends without "exit" (the supervisor died), SIGKILLs
// them.
func runReaper() {
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGPIPE)
	groups := map[int]bool{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "exit" {
			return
		}
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(line[1:])
		if err != nil || pgid <= 1 {
			continue
		}
		if line[0] == '+' {
			groups[pgid] = true
		} else {
			delete(groups, pgid)
		}
	}
	for pgid := range groups {
		syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
