package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

const (
	chattyLines = 300 // per goroutine
	chattyWidth = 3000
	chattyTail  = "tail-without-newline"
)

// writeChatty is the chatty test child's output: two goroutines write long
// lines to stdout and stderr at once, then a last partial line.
func writeChatty() {
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range chattyLines {
				w := os.Stdout
				if i%2 == 1 {
					w = os.Stderr
				}
				fmt.Fprintf(w, "g%d %04d %s END\n", g, i, strings.Repeat(string(rune('a'+g)), chattyWidth))
			}
		}()
	}
	wg.Wait()
	fmt.Fprint(os.Stdout, chattyTail)
}

// longLine is the length of the line the longline test child prints.
const longLine = 300 << 10

// writeLongLine is the longline test child's output: one line of longLine
// bytes, then a short one.
func writeLongLine() {
	fmt.Fprintln(os.Stdout, strings.Repeat("x", longLine))
	fmt.Fprintln(os.Stdout, "long-line-done")
}

// recorder collects output and wakes waiters on every write.
type recorder struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
}

func newRecorder() *recorder { return &recorder{more: make(chan struct{}, 1)} }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// waitFor waits until the output contains want.
func (r *recorder) waitFor(t *testing.T, want string) string {
	t.Helper()
	for {
		if s := r.String(); strings.Contains(s, want) {
			return s
		}
		select {
		case <-r.more:
		case <-t.Context().Done():
			t.Fatalf("output never contained %q", want)
		}
	}
}

func TestChildOutputLinesStayWholeAndPrefixed(t *testing.T) {
	t.Parallel()
	out := newRecorder()
	// Notify mode: a child is ready only once it has read its mode (and
	// the chatty one has written everything), which orders the modes.
	h := newHarness(t, config(func(c *Config) {
		c.Stdout, c.Stderr, c.OutputPrefix, c.Ready = out, out, "[app] ", ReadyNotify
	}))
	h.waitReady()
	h.setMode("chatty")
	h.s.Reload("test")
	h.waitReady()
	h.setMode("serve")
	// Stopping the chatty child closes its pipes: the tail arrives then.
	h.s.Reload("test")
	h.waitReady()
	all := out.waitFor(t, "[app] "+chattyTail+"\n")
	line := regexp.MustCompile(`^\[app\] g([01]) (\d{4}) ([ab]+) END$`)
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
		if l == "[app] "+chattyTail {
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil || len(m[3]) != chattyWidth || m[3][0] != "ab"[m[1][0]-'0'] {
			t.Fatalf("torn or unprefixed line (%d bytes): %.120q", len(l), l)
		}
		seen[m[1]+m[2]] = true
	}
	if len(seen) != 2*chattyLines {
		t.Errorf("saw %d distinct lines, want %d", len(seen), 2*chattyLines)
	}
}

func TestLineWriterSplitsAndFlushes(t *testing.T) {
	var buf bytes.Buffer
	lw := newLineWriter(&buf, "> ")
	for _, chunk := range []string{"one\ntw", "o\n", "", "thr", "ee"} {
		lw.Write([]byte(chunk))
	}
	if got := buf.String(); got != "> one\n> two\n" {
		t.Errorf("before flush: %q", got)
	}
	lw.Flush()
	if got := buf.String(); got != "> one\n> two\n> three\n" {
		t.Errorf("after flush: %q", got)
	}
	buf.Reset()
	lw.Write(bytes.Repeat([]byte("x"), maxLine+10))
	lw.Flush()
	if got := strings.Count(buf.String(), "> "); got != 2 {
		t.Errorf("an over-long line gave %d pieces, want 2", got)
	}
}

// TestLineWriterKeepsLongLinesWhole checks issue 13, finding 18a: a line
// longer than 64 KiB, arriving in pipe-sized chunks, comes out as one
// prefixed line; one over maxLine is cut into marked pieces that lose
// nothing.
func TestLineWriterKeepsLongLinesWhole(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	lw := newLineWriter(&buf, "[app] ")
	long := strings.Repeat("x", 300<<10)
	writeChunks(lw, long+"\nnext\n", 4096)
	if want := "[app] " + long + "\n[app] next\n"; buf.String() != want {
		t.Fatalf("a %d-byte line came out as %d lines (%d bytes), want it whole", len(long), strings.Count(buf.String(), "\n"), buf.Len())
	}

	buf.Reset()
	exact := strings.Repeat("w", maxLine)
	writeChunks(lw, exact+"\n", 64<<10)
	if buf.String() != "[app] "+exact+"\n" {
		t.Errorf("a line of exactly maxLine bytes was not kept whole and unmarked (%d lines)", strings.Count(buf.String(), "\n"))
	}

	buf.Reset()
	huge := strings.Repeat("y", maxLine) + strings.Repeat("z", 10)
	writeChunks(lw, huge+"\n", 64<<10)
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

// writeChunks writes s to lw in pieces of n bytes.
func writeChunks(lw *lineWriter, s string, n int) {
	for len(s) > 0 {
		k := min(n, len(s))
		lw.Write([]byte(s[:k]))
		s = s[k:]
	}
}

// TestChildLongLineStaysWhole: a real child (the longline test child)
// prints a 300 KiB line through its stdout pipe; it comes out as one
// prefixed line.
func TestChildLongLineStaysWhole(t *testing.T) {
	t.Parallel()
	out := newRecorder()
	const n = longLine
	newHarnessMode(t, config(func(c *Config) { c.Stdout, c.OutputPrefix = out, "[app] " }), "longline")
	all := out.waitFor(t, "[app] long-line-done\n")
	if want := "[app] " + strings.Repeat("x", n) + "\n"; !strings.Contains(all, want) {
		t.Errorf("the %d-byte line did not come out whole: %d lines, %d bytes before long-line-done", n,
			strings.Count(all, "\n")-1, len(all))
	}
}
