package portdoctor

import (
	"errors"
	"syscall"
)

// Kind is the class of a bind failure. The zero value, KindNone, means the
// bind succeeded.
type Kind int

const (
	// KindNone means the bind succeeded.
	KindNone Kind = iota
	// KindInUse is EADDRINUSE (98 on Linux, WSAEADDRINUSE 10048 on Windows):
	// another socket is bound there.
	KindInUse
	// KindPermission is EACCES: a port below 1024 without privilege.
	KindPermission
	// KindNotAvailable is EADDRNOTAVAIL: the address is not one of this
	// host's.
	KindNotAvailable
	// KindInvalid is EINVAL: the socket is already bound, or an argument is
	// bad.
	KindInvalid
	// KindOther is any other failure.
	KindOther
)

// String returns a short name such as "in use".
func (k Kind) String() string {
	switch k {
	case KindNone:
		return "free"
	case KindInUse:
		return "in use"
	case KindPermission:
		return "permission denied"
	case KindNotAvailable:
		return "address not available"
	case KindInvalid:
		return "invalid argument"
	}
	return "bind failed"
}

// errnoInfo names an errno as this platform numbers it.
type errnoInfo struct {
	kind Kind
	name string
}

// Classify returns the kind of a bind error, the errno's symbolic name (such
// as "EADDRINUSE") and its number on this platform. A nil err is KindNone;
// an error without an errno is KindOther with name "" and number 0.
func Classify(err error) (kind Kind, name string, number int) {
	if err == nil {
		return KindNone, "", 0
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return KindOther, "", 0
	}
	if info, ok := lookupErrno(errno); ok {
		return info.kind, info.name, int(errno)
	}
	return KindOther, "", int(errno)
}
