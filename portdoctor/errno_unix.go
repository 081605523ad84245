//go:build unix

package portdoctor

import "syscall"

func lookupErrno(e syscall.Errno) (errnoInfo, bool) {
	switch e {
	case syscall.EADDRINUSE:
		return errnoInfo{KindInUse, "EADDRINUSE"}, true
	case syscall.EACCES:
		return errnoInfo{KindPermission, "EACCES"}, true
	case syscall.EADDRNOTAVAIL:
		return errnoInfo{KindNotAvailable, "EADDRNOTAVAIL"}, true
	case syscall.EINVAL:
		return errnoInfo{KindInvalid, "EINVAL"}, true
	}
	return errnoInfo{}, false
}
