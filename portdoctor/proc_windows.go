package portdoctor

import "fmt"

// procStart is not available on Windows: no process counts as running.
func procStart(int) (start uint64, running bool) { return 0, false }

func terminate(pid int) error {
	return fmt.Errorf("%w: ending pid %d", ErrNotAvailable, pid)
}

func kill(pid int) error { return terminate(pid) }
