package portdoctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// lookupSockets asks lsof who holds port, and netstat for TIME_WAIT sockets.
func lookupSockets(ctx context.Context, network string, port uint16) ([]sockEntry, error) {
	p := strconv.Itoa(int(port))
	args := []string{"-nP", "-iUDP:" + p, "-FpuLn"}
	state := "UNCONN"
	if network == "tcp" {
		args = []string{"-nP", "-iTCP:" + p, "-sTCP:LISTEN", "-FpuLn"}
		state = "LISTEN"
	}
	out, err := exec.CommandContext(ctx, "lsof", args...).Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && len(out) == 0) { // lsof exits 1 when nothing matches
		return nil, fmt.Errorf("portdoctor: lsof: %w", err)
	}
	entries := parseLsof(string(out), port, state)
	for i := range entries {
		for j := range entries[i].procs {
			pid := entries[i].procs[j].pid
			cmd, err := exec.CommandContext(ctx, "ps", "-ww", "-o", "command=", "-p", strconv.Itoa(pid)).Output()
			if err == nil {
				entries[i].procs[j].cmdline = strings.TrimSpace(string(cmd))
			}
		}
	}
	if network == "tcp" {
		if out, err := exec.CommandContext(ctx, "netstat", "-an", "-p", "tcp").Output(); err == nil {
			for _, e := range parseNetstat(string(out), port) {
				if e.state == "TIME_WAIT" {
					entries = append(entries, e)
				}
			}
		}
	}
	return entries, nil
}
