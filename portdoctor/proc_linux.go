package portdoctor

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStart returns the start time of pid in clock ticks after boot (field
// 22 of /proc/<pid>/stat) and whether it is running: a zombie is not.
func procStart(pid int) (start uint64, running bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// The command (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0, false
	}
	start, err = strconv.ParseUint(f[19], 10, 64) // field 22; f[0] is field 3
	if err != nil {
		return 0, false
	}
	return start, true
}
