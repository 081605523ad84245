package listenfd

import (
	"strings"
	"testing"
)

// FuzzParseEnv: no environment panics; errors carry the package prefix;
// a parsed environment names every fd it accepts.
func FuzzParseEnv(f *testing.F) {
	f.Add("1", "42", "web", "/run/notify", 42)
	f.Add("2", "", "a:b", "@abstract", 7)
	f.Add("3", "41", "", "", 42)
	f.Add("x", "y", "::::", "relative", 1)
	f.Add("99999999999999999999", "-1", strings.Repeat("n:", 100), "", 5)
	f.Fuzz(func(t *testing.T, fds, pid, names, notify string, mypid int) {
		env := map[string]string{envListenFDs: fds, envListenPID: pid, envListenFDNames: names, envNotifySocket: notify}
		st, err := parseEnv(func(k string) string { return env[k] }, mypid)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "listenfd: ") {
				t.Fatalf("error without the package prefix: %q", err)
			}
			return
		}
		if st.notify != notify {
			t.Fatalf("notify = %q, want %q", st.notify, notify)
		}
		for i, s := range st.fds {
			if s.fd != 3+i || s.name == "" {
				t.Fatalf("fd %d parsed as %+v", 3+i, s)
			}
		}
	})
}
