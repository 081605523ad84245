//go:build unix

package supervisor

import (
	"bufio"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// startReaper starts the reaper: this executable (shim) in reaper mode, in
// a process group of its own so that Ctrl-C and terminal hang-ups do not
// reach it, reading process-group ids on its stdin.
func startReaper(shim string, log *slog.Logger) (*reaper, error) {
	rd, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		w.Close()
		return nil, err
	}
	defer null.Close()
	env := append(childEnv(os.Environ()), ReaperEnv+"=1")
	p, err := os.StartProcess(shim, []string{shim}, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{rd, null, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		w.Close()
		return nil, err
	}
	go p.Wait() // reap it when it exits after close
	return &reaper{w: w, log: log}, nil
}

// runReaper is the reaper process: it records the groups it is told about
// and, when its stdin ends without "exit" (reloader died), SIGKILLs them.
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
