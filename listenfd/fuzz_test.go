package listenfd

import (
	"errors"
	"strconv"
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
			// The error names the variable and its value.
			var ee *EnvError
			var pe *PIDError
			switch {
			case errors.As(err, &ee):
				if v, ok := env[ee.Var]; !ok || v != ee.Value || !strings.Contains(err.Error(), ee.Var) {
					t.Fatalf("error %q names %s=%q, not a variable of the environment", err, ee.Var, ee.Value)
				}
			case errors.As(err, &pe):
				if !strings.Contains(err.Error(), "LISTEN_PID="+strconv.Itoa(pe.ListenPID)) {
					t.Fatalf("error %q does not name LISTEN_PID", err)
				}
			default:
				t.Fatalf("error %q (%T) names no variable", err, err)
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
