package proc

import (
	"os/exec"
	"time"
)

// waitDelay bounds how long RunGroup waits for a command's output after it
// has exited or been killed: a grandchild that left the group may hold the
// pipes open.
const waitDelay = 5 * time.Second

// RunGroup runs cmd, a build step or hook, to completion in a process group
// of its own (GroupAttr), and returns cmd.Wait's error. cmd must come from
// exec.CommandContext: when its context is done, the whole group is
// killed. r, which may be nil, is told about the group while it runs, so
// the group dies with the supervisor. Whatever is left in the group when
// cmd exits is killed. low is the lower priority it runs at (see Lower);
// its zero value keeps the supervisor's.
func RunGroup(r *Reaper, cmd *exec.Cmd, low Lower) error {
	cmd.SysProcAttr = GroupAttr()
	lowerCmd(cmd, low)
	cmd.Cancel = func() error { return KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	r.Add(pid)
	err := cmd.Wait()
	KillGroup(pid)
	r.Gone(pid)
	return err
}
