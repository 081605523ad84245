//go:build unix

package listenfd

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"
)

// TestNotifySocketKeptForWatchdog checks issue 13, finding 16: after
// listenfd's first use, NOTIFY_SOCKET stays in the process's environment
// (systemd's rule: the service keeps it), so go-systemd's
// daemon.SdNotify(false, "WATCHDOG=1") still reaches the supervisor. The
// activation variables are still removed, and ChildEnviron leaves
// NOTIFY_SOCKET out for the app's own children.
func TestNotifySocketKeptForWatchdog(t *testing.T) {
	t.Parallel()
	path, next := notifySocket(t)
	cmd := childCmd(t, "watchdog", nil, "NOTIFY_SOCKET="+path, "LISTEN_FDS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s%s", err, out, stderr.Bytes())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "helper.") {
			got[strings.TrimPrefix(k, "helper.")] = v
		}
	}
	if got["sdnotify"] != "true <nil>" {
		t.Fatalf("daemon.SdNotify(false, \"WATCHDOG=1\") after listenfd.Listen = %q, want true <nil>\n%s", got["sdnotify"], out)
	}
	if msg := next(); msg != "WATCHDOG=1" {
		t.Errorf("notify socket got %q, want WATCHDOG=1", msg)
	}
	if got["notify_env"] != path {
		t.Errorf("NOTIFY_SOCKET in the app = %q, want %q", got["notify_env"], path)
	}
	if got["listen_fds_env"] != "" {
		t.Errorf("LISTEN_FDS still set in the app: %q", got["listen_fds_env"])
	}
	if got["child_env"] != "" {
		t.Errorf("a child started with ChildEnviron sees NOTIFY_SOCKET=%q, want it unset", got["child_env"])
	}
}

// watchdogChild is the "watchdog" child, the app's side: listenfd first,
// then go-systemd, as a watchdog ping does.
func watchdogChild() error {
	ln, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ln.Close()
	sent, err := daemon.SdNotify(false, "WATCHDOG=1")
	fmt.Printf("helper.sdnotify=%v %v\n", sent, err)
	fmt.Printf("helper.notify_env=%s\n", os.Getenv("NOTIFY_SOCKET"))
	fmt.Printf("helper.listen_fds_env=%s\n", os.Getenv("LISTEN_FDS"))
	child := exec.Command("sh", "-c", `printf '%s' "$NOTIFY_SOCKET"`)
	child.Env = ChildEnviron()
	b, err := child.Output()
	if err != nil {
		return err
	}
	fmt.Printf("helper.child_env=%s\n", b)
	return nil
}
