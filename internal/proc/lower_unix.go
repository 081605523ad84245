//go:build unix

package proc

import (
	"os/exec"
	"strconv"
)

// lowerCmd makes cmd run through low.Shim, which lowers the priority of its
// new process group before it execs cmd's program, when low asks for it.
// cmd.Path is what the shim execs, and argv[0] becomes that path.
func lowerCmd(cmd *exec.Cmd, low Lower) {
	if low.Nice <= 0 || low.Shim == nil || cmd.Err != nil {
		return
	}
	argv := append([]string{cmd.Path}, cmd.Args[1:]...)
	fd := 3 + len(cmd.ExtraFiles)
	if low.Shim.f != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, low.Shim.f)
	}
	path, full, v := low.Shim.shimArgs(argv, fd)
	cmd.Env = append(cmd.Environ(), ShimEnv+"="+v, NiceEnv+"="+strconv.Itoa(low.Nice))
	cmd.Path, cmd.Args = path, full
}
