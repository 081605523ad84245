package portdoctor

import "golang.org/x/sys/unix"

// procStart returns the start time of pid in microseconds since the epoch
// and whether it is running: a zombie is not.
func procStart(pid int) (start uint64, running bool) {
	if pid <= 0 {
		return 0, false
	}
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil || kp.Proc.P_pid != int32(pid) {
		return 0, false
	}
	const sZomb = 5 // SZOMB in sys/proc.h
	if kp.Proc.P_stat == sZomb {
		return 0, false
	}
	t := kp.Proc.P_starttime
	return uint64(t.Sec)*1e6 + uint64(t.Usec), true
}
