//go:build windows

package portdoctor

import (
	"syscall"

	"golang.org/x/sys/windows"
)

func lookupErrno(e syscall.Errno) (errnoInfo, bool) {
	switch e {
	case windows.WSAEADDRINUSE:
		return errnoInfo{KindInUse, "WSAEADDRINUSE"}, true
	case windows.WSAEACCES:
		return errnoInfo{KindPermission, "WSAEACCES"}, true
	case windows.WSAEADDRNOTAVAIL:
		return errnoInfo{KindNotAvailable, "WSAEADDRNOTAVAIL"}, true
	case windows.WSAEINVAL:
		return errnoInfo{KindInvalid, "WSAEINVAL"}, true
	}
	return errnoInfo{}, false
}
