//go:build unix

package supervisor

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLineWriterKeepsLongLinesWhole checks issue 13, finding 18a: a line
// longer than 64 KiB, arriving in pipe-sized chunks, comes out as one
// prefixed line; one over maxLine is cut into marked pieces that lose
// nothing.
func TestLineWriterKeepsLongLinesWhole(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	lw := newLineWriter(&buf, "[app] ")
	long := strings.Repeat("x", 300<<10)
	writeChunks13(lw, long+"\nnext\n", 4096)
	if want := "[app] " + long + "\n[app] next\n"; buf.String() != want {
		t.Fatalf("a %d-byte line came out as %d lines (%d bytes), want it whole", len(long), strings.Count(buf.String(), "\n"), buf.Len())
	}

	buf.Reset()
	exact := strings.Repeat("w", maxLine)
	writeChunks13(lw, exact+"\n", 64<<10)
	if buf.String() != "[app] "+exact+"\n" {
		t.Errorf("a line of exactly maxLine bytes was not kept whole and unmarked (%d lines)", strings.Count(buf.String(), "\n"))
	}

	buf.Reset()
	huge := strings.Repeat("y", maxLine) + strings.Repeat("z", 10)
	writeChunks13(lw, huge+"\n", 64<<10)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("a line of maxLine+10 bytes came out as %d lines, want 2", len(lines))
	}
	first, ok := strings.CutSuffix(lines[0], cutMark)
	if !ok {
		t.Errorf("the cut piece does not end with %q: ...%q", cutMark, lines[0][max(0, len(lines[0])-60):])
	}
	if got := strings.TrimPrefix(first, "[app] ") + strings.TrimPrefix(lines[1], "[app] "); got != huge {
		t.Errorf("the pieces hold %d bytes, want the %d of the line", len(got), len(huge))
	}
}

func writeChunks13(lw *lineWriter, s string, n int) {
	for len(s) > 0 {
		k := min(n, len(s))
		lw.Write([]byte(s[:k]))
		s = s[k:]
	}
}

// rec13 records output and wakes a waiter on every write.
type rec13 struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
}

func (r *rec13) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits until the output contains want and returns it all. The
// timer only guards a failing test against hanging.
func (r *rec13) waitFor(t *testing.T, want string) string {
	t.Helper()
	guard := time.NewTimer(90 * time.Second)
	defer guard.Stop()
	for {
		r.mu.Lock()
		s := r.buf.String()
		r.mu.Unlock()
		if strings.Contains(s, want) {
			return s
		}
		select {
		case <-r.more:
		case <-guard.C:
			t.Fatalf("output never contained %q", want)
		}
	}
}

// TestChildLongLineStaysWhole: a real child prints a 300 KiB line through
// its stdout pipe; it comes out as one prefixed line.
func TestChildLongLineStaysWhole(t *testing.T) {
	t.Parallel()
	out := &rec13{more: make(chan struct{}, 1)}
	const n = 300 << 10
	startSup13(t, config(func(c *Config) {
		c.Command = []string{"/bin/sh", "-c", `head -c 307200 /dev/zero | tr '\0' x; echo; echo long-line-done; exec sleep 300`}
		c.Stdout, c.OutputPrefix = out, "[app] "
		c.Ready, c.ReadyDelay = ReadyDelay, 0
		c.StopTimeout = time.Second
		c.Logger = slog.New(slog.DiscardHandler)
	}))
	all := out.waitFor(t, "[app] long-line-done\n")
	if want := "[app] " + strings.Repeat("x", n) + "\n"; !strings.Contains(all, want) {
		t.Errorf("the %d-byte line did not come out whole: %d lines, %d bytes before long-line-done", n,
			strings.Count(all, "\n")-1, len(all))
	}
}
