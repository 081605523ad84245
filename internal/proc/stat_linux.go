package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Stat is what /proc/PID/stat says about a process.
type Stat struct {
	State byte // R, S, D, Z, ...
	PPID  int
	PGID  int
	SID   int
	// Nice is the nice value, -20 to 19; 0 is the default.
	Nice int
	// Start is when the process started, as time since boot.
	Start time.Duration
}

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; Linux
// fixes it at 100 for user space.
const clockTicks = 100

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, fmt.Errorf("proc: stat of %d: %w", pid, err)
	}
	return parseStat(string(b))
}

func parseStat(s string) (Stat, error) {
	// The command (field 2) is in parentheses and may hold anything.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Stat{}, fmt.Errorf("proc: malformed stat %q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 20 || len(f[0]) != 1 {
		return Stat{}, fmt.Errorf("proc: malformed stat %q", s)
	}
	var st Stat
	st.State = f[0][0]
	var ticks uint64
	var errs [5]error
	st.PPID, errs[0] = strconv.Atoi(f[1])
	st.PGID, errs[1] = strconv.Atoi(f[2])
	st.SID, errs[2] = strconv.Atoi(f[3])
	ticks, errs[3] = strconv.ParseUint(f[19], 10, 64)
	st.Nice, errs[4] = strconv.Atoi(f[16])
	for _, err := range errs {
		if err != nil {
			return Stat{}, fmt.Errorf("proc: malformed stat %q: %w", s, err)
		}
	}
	st.Start = time.Duration(ticks) * (time.Second / clockTicks)
	return st, nil
}

// GroupMembers returns the pids of the processes in process group pgid,
// read from /proc; none when the group is gone.
func GroupMembers(pgid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := ReadStat(pid); err == nil && st.PGID == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// GroupRunnable reports whether a thread of a process in group pgid is
// running or waiting for a CPU (state R): the group is busy, as an app
// still in its init on a loaded machine is. false when the group is gone
// or every thread sleeps.
func GroupRunnable(pgid int) bool {
	for _, pid := range GroupMembers(pgid) {
		dir := "/proc/" + strconv.Itoa(pid) + "/task"
		tasks, _ := os.ReadDir(dir)
		for _, t := range tasks {
			b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
			if err != nil {
				continue
			}
			if st, err := parseStat(string(b)); err == nil && st.State == 'R' {
				return true
			}
		}
	}
	return false
}
