package supervisor

import (
	"bytes"
	"sync"
	"time"
)

// tailLines is how many of a child's last output lines a Crashed or
// StartFailed event carries.
const tailLines = 40

// tailLineMax bounds each kept line, in bytes; the rest is cut.
const tailLineMax = 4096

// outputTail keeps the last tailLines lines a child printed, on stdout and
// stderr in the order they were read. The zero value is ready to use.
type outputTail struct {
	mu    sync.Mutex
	lines [][]byte
}

// add keeps line (with or without its newline).
func (t *outputTail) add(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	line = bytes.TrimSuffix(line, []byte("\n"))
	if len(line) > tailLineMax {
		line = line[:tailLineMax]
	}
	l := append(bytes.Clone(line), '\n')
	if len(t.lines) == tailLines {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:tailLines-1]
	}
	t.lines = append(t.lines, l)
}

// bytes returns the kept lines; nil if none.
func (t *outputTail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Join(t.lines, nil)
}

// lastLines returns the last lines c printed. Under live reload, where
// browsers show them, it first waits until its output has been read to the
// end (its process group is gone) or a short wait ran out.
func (s *Supervisor) lastLines(c *child) []byte {
	if c.pipes != nil && s.live != nil {
		c.pipes.wait(tailWait)
	}
	return c.tail.bytes()
}

// tailWait bounds the wait for a gone child's last output: only a
// grandchild that left its process group with the pipe open makes it
// wait that long.
const tailWait = 250 * time.Millisecond
