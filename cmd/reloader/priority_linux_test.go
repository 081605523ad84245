package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reloader-dev/reloader/internal/proc"
)

// The pre_build hook reads its own nice value from /proc/self/stat (field
// 19) before the first start: a process the hook's shell forks, so the
// value is inherited through the group. The app runs at the supervisor's.
func TestBuildsRunAtLowerPriority(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config, want string
	}{
		{"default", "", "10"},
		{"off", "nice = 0\n", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			marks := t.TempDir()
			s := startWithConfig(t, fmt.Sprintf(`
[build]
%senv = { MARKS = %q }
[hooks]
pre_build = ["sh", "-c", "cut -d' ' -f19 /proc/self/stat >\"$MARKS/nice\""]
`, tc.config, marks))
			b, err := os.ReadFile(filepath.Join(marks, "nice"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != tc.want {
				t.Errorf("nice of a process in the pre_build hook's group = %s, want %s", got, tc.want)
			}
			st, err := proc.ReadStat(s.pids[0])
			if err != nil {
				t.Fatal(err)
			}
			if st.Nice != 0 {
				t.Errorf("nice of the app = %d, want 0", st.Nice)
			}
			s.shutdown()
		})
	}
}
