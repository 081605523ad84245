package supervisor

import (
	"bytes"
	"testing"
)

// The app's prefix is coloured on the streams Config colours and plain on
// the others; an empty prefix stays empty. The lines themselves are intact.
func TestLinePrefixColouredPerStream(t *testing.T) {
	t.Parallel()
	s := &Supervisor{cfg: Config{ColorStderr: true}}
	if got := s.linePrefix("[app] ", ansiAppPrefix, 0); got != "[app] " {
		t.Errorf("stdout prefix %q, want it plain", got)
	}
	if got, want := s.linePrefix("[app] ", ansiAppPrefix, 1), "\x1b[36m[app]\x1b[0m "; got != want {
		t.Errorf("stderr prefix %q, want %q", got, want)
	}
	if got := s.linePrefix("", ansiAppPrefix, 1); got != "" {
		t.Errorf("empty prefix became %q", got)
	}
	var buf bytes.Buffer
	lw := newLineWriter(&buf, s.linePrefix("[app] ", ansiAppPrefix, 1))
	lw.Write([]byte("hello\n"))
	if got, want := buf.String(), "\x1b[36m[app]\x1b[0m hello\n"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	var cleared bytes.Buffer
	s.cfg.ClearScreen = true
	s.out = newOutputs(&bytes.Buffer{}, &cleared, [2]string{})
	s.clearScreen()
	if cleared.String() != ansiClear {
		t.Errorf("clearScreen wrote %q", cleared.String())
	}
}
