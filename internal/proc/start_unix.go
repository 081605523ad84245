//go:build unix

package proc

import (
	"os"
	"syscall"
)

// InheritFDs reports whether children can inherit the supervisor's sockets.
const InheritFDs = true

// Start starts argv[0] (a path: Start does not search PATH), or the exec
// shim a.Shim with argv as its arguments, in a new process group with the
// attributes in a. It passes raw fd numbers for the
// sockets: os.StartProcess would call File.Fd(), which puts the shared
// sockets into blocking mode. (Fd on the stdout and stderr files does the
// same to them, which is what a child expects of its output.)
func Start(argv []string, a Attr) (*os.Process, error) {
	null, err := syscall.Open(os.DevNull, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("open "+os.DevNull, err)
	}
	defer syscall.Close(null)
	files := []uintptr{uintptr(null), fdOr(a.Stdout, null), fdOr(a.Stderr, null)}
	for _, fd := range a.Fds {
		files = append(files, uintptr(fd))
	}
	path, env := argv[0], a.Env
	if a.Shim != nil {
		// The shim's open executable goes after the sockets; the shim
		// closes it before it execs the app.
		if a.Shim.f != nil {
			files = append(files, a.Shim.f.Fd())
		}
		var v string
		path, argv, v = a.Shim.shimArgs(argv, len(files)-1)
		env = append(env[:len(env):len(env)], ShimEnv+"="+v)
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Dir:   a.Dir,
		Env:   env,
		Files: files,
		Sys:   GroupAttr(),
	})
	if err != nil {
		return nil, &os.PathError{Op: "fork/exec", Path: argv[0], Err: err}
	}
	return os.FindProcess(pid)
}

// fdOr returns f's fd, or null if f is nil.
func fdOr(f *os.File, null int) uintptr {
	if f == nil {
		return uintptr(null)
	}
	return f.Fd()
}
