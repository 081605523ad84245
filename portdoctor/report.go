package portdoctor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// Report is the diagnosis of one address. Diagnose and Wrap fill it.
type Report struct {
	// Network is "tcp" or "udp".
	Network string
	// Addr is the address as given: "host:port", ":port" or "[::1]:port".
	Addr string
	// BindErr is the error of the bind that was tried or reported. nil
	// means the bind succeeded: the address is free for reloader.
	BindErr error
	// Kind classifies BindErr. KindNone when BindErr is nil.
	Kind Kind
	// Errno is the symbolic errno of BindErr, such as "EADDRINUSE"; "" if
	// it has none.
	Errno string
	// ErrnoNum is the errno's number on this platform (98 for EADDRINUSE on
	// Linux, 10048 on Windows); 0 if BindErr has none.
	ErrnoNum int
	// Holders are the processes holding a socket bound to the address (TCP:
	// listening, or bound and not listening; UDP: any bound socket). Empty
	// means none was found.
	Holders []Holder
	// TimeWait counts the TCP sockets in TIME_WAIT on the address.
	TimeWait int
	// HostAddrs lists this host's addresses. Filled only for
	// KindNotAvailable.
	HostAddrs []string
	// LookupErr says why the holders could not be listed, for example
	// "not available on this platform". nil means they were listed.
	LookupErr error
	// Advice is what to do, one sentence or two per entry, in order.
	Advice []string
}

// Holder is one process holding a socket bound to the address.
type Holder struct {
	// PID is the process id. 0 means unknown: the socket's owner could not
	// be found, typically because its /proc/<pid>/fd is not readable by
	// this user.
	PID int
	// User is the owner's user name; "" if it could not be looked up.
	User string
	// UID is the owner's uid; -1 means unknown.
	UID int
	// Cmdline is the process's command line, arguments joined by spaces; ""
	// if unknown.
	Cmdline string
	// Inode is the socket's inode (Linux); 0 means unknown.
	Inode uint64
	// State is the socket state: "LISTEN", "CLOSE" (bound, not listening)
	// for TCP; "UNCONN" or "ESTAB" for UDP.
	State string
	// Local is the address the socket is bound to, such as "0.0.0.0:8080".
	Local string
	// Child is the Registry record when the holder is a child started by a
	// reloader run in the same directory; nil otherwise.
	Child *Child
	// Stale is true when Child's reloader run is no longer running: the
	// child was left behind.
	Stale bool
}

// who names the holder: "pid 1234 (alice)" or "an unknown process of uid 0
// (root), socket inode 5678".
func (h Holder) who() string {
	user := h.User
	if user == "" && h.UID >= 0 {
		user = fmt.Sprintf("uid %d", h.UID)
	}
	if h.PID == 0 {
		s := "an unknown process"
		if h.UID >= 0 {
			s += fmt.Sprintf(" of uid %d", h.UID)
			if h.User != "" {
				s += " (" + h.User + ")"
			}
		}
		if h.Inode != 0 {
			s += fmt.Sprintf(" holding socket inode %d", h.Inode)
		}
		return s
	}
	if user != "" {
		return fmt.Sprintf("pid %d (%s)", h.PID, user)
	}
	return fmt.Sprintf("pid %d", h.PID)
}

// Summary is the one-line diagnosis, such as
// "127.0.0.1:8080 is in use by pid 1234 (alice): python3 -m http.server 8080".
func (r *Report) Summary() string {
	a := r.Addr
	if r.Network == "udp" {
		a = "udp " + a
	}
	switch r.Kind {
	case KindNone:
		s := a + " is free: a bind with SO_REUSEADDR succeeds"
		if r.TimeWait > 0 {
			s += fmt.Sprintf(" (%d %s in TIME_WAIT, which %s not block it)", r.TimeWait, plural(r.TimeWait, "socket", "sockets"), plural(r.TimeWait, "does", "do"))
		}
		return s
	case KindInUse:
		if len(r.Holders) == 0 {
			return a + " is in use" + r.errnoTag() + ", but no process holding it was found"
		}
		h := r.Holders[0]
		s := a + " is in use by " + h.who()
		if h.Stale {
			s += ", a child left behind by an earlier reloader run in this directory"
		} else if h.Child != nil {
			s += fmt.Sprintf(", a child of reloader pid %d running in this directory", h.Child.Owner)
		}
		if h.Cmdline != "" {
			s += ": " + shorten(h.Cmdline, 120)
		}
		if n := len(r.Holders) - 1; n > 0 {
			s += fmt.Sprintf(" (and %d more)", n)
		}
		return s
	case KindPermission:
		return a + ": permission denied" + r.errnoTag() + ": ports below 1024 need root or CAP_NET_BIND_SERVICE"
	case KindNotAvailable:
		return a + ": address not available" + r.errnoTag() + ": it is not an address of this host"
	case KindInvalid:
		return a + ": invalid argument" + r.errnoTag() + ": the socket is already bound or the address is invalid"
	}
	return a + ": bind failed: " + r.bindMessage()
}

func (r *Report) errnoTag() string {
	if r.Errno == "" {
		return ""
	}
	return fmt.Sprintf(" (%s %d)", r.Errno, r.ErrnoNum)
}

// bindMessage is the innermost system call error, e.g. "bind: address
// already in use", or the whole error if there is none.
func (r *Report) bindMessage() string {
	var se *os.SyscallError
	if errors.As(r.BindErr, &se) {
		return se.Error()
	}
	if r.BindErr == nil {
		return ""
	}
	return r.BindErr.Error()
}

// String returns the whole diagnosis, as Format writes it.
func (r *Report) String() string {
	var b strings.Builder
	r.Format(&b)
	return b.String()
}

// Format writes the diagnosis: the summary line, then the details and what
// to do, one item per line.
func (r *Report) Format(w io.Writer) error {
	if _, err := io.WriteString(w, r.Summary()+"\n"); err != nil {
		return err
	}
	return r.FormatDetails(w)
}

// FormatDetails writes the diagnosis without the summary line, for a
// caller that has already printed it (as the Error of a BindError).
func (r *Report) FormatDetails(w io.Writer) error {
	var b strings.Builder
	if r.BindErr != nil {
		fmt.Fprintf(&b, "  error:     %s%s\n", r.bindMessage(), r.errnoTag())
	}
	for _, h := range r.Holders {
		fmt.Fprintf(&b, "  holder:    %s, %s %s %s", h.who(), r.Network, h.State, h.Local)
		if h.Inode != 0 && h.PID != 0 {
			fmt.Fprintf(&b, ", socket inode %d", h.Inode)
		}
		b.WriteString("\n")
		if h.Cmdline != "" {
			fmt.Fprintf(&b, "             command: %s\n", h.Cmdline)
		}
		if h.Child != nil {
			state := "its reloader (pid %d) is still running"
			if h.Stale {
				state = "left behind: its reloader (pid %d) is gone"
			}
			fmt.Fprintf(&b, "             reloader child: "+state+"\n", h.Child.Owner)
		}
	}
	if r.Network == "tcp" {
		fmt.Fprintf(&b, "  TIME_WAIT: %d\n", r.TimeWait)
	}
	if len(r.HostAddrs) > 0 {
		fmt.Fprintf(&b, "  this host: %s\n", strings.Join(r.HostAddrs, ", "))
	}
	if r.LookupErr != nil {
		fmt.Fprintf(&b, "  lookup:    %v\n", r.LookupErr)
	}
	if len(r.Advice) > 0 {
		b.WriteString("what to do:\n")
		for _, a := range r.Advice {
			fmt.Fprintf(&b, "  - %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// joinArgs joins a command line for one line of text: arguments that are
// empty or hold spaces, quotes or control characters are quoted.
func joinArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' || r == '\'' }) {
			q[i] = strconv.Quote(a)
		}
	}
	return strings.Join(q, " ")
}

// shorten cuts s to at most n runes, marking the cut with "...".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
