package supervisor

import (
	"bytes"
	"io"
	"os"
	"sync"
	"time"

	"github.com/reloader-dev/reloader/internal/syncio"
)

// maxLine bounds the bytes a lineWriter holds while waiting for a newline.
// A line up to this long comes out whole, however the pipe delivers it; a
// longer one is cut into pieces of this size, each prefixed, and every piece
// but the last ends with cutMark, so nothing is lost and the cut shows.
const maxLine = 1 << 20

// cutMark ends a piece of a line longer than maxLine; the line continues on
// the next output line.
const cutMark = " [reloader: line over 1 MiB cut here; continued on the next line]"

// outputDrain bounds how long Close waits for children's output to reach
// EOF. Only a grandchild that left the child's process group and kept the
// pipe open makes it wait that long.
const outputDrain = 2 * time.Second

// lineWriter splits what is written to it into lines and writes each line,
// prefixed, with one Write call to dst. Flush writes a last partial line.
// It is not safe for concurrent use; give each stream its own.
type lineWriter struct {
	dst    io.Writer
	prefix string
	buf    []byte
	onLine func(line []byte) // sees every line before it is written; may be nil
}

func newLineWriter(dst io.Writer, prefix string) *lineWriter {
	return &lineWriter{dst: dst, prefix: prefix}
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 && len(l.buf) <= maxLine {
			break
		}
		n, mark := i+1, ""
		if i < 0 || i > maxLine {
			n, mark = maxLine, cutMark
		}
		if err := l.emit(l.buf[:n], mark); err != nil {
			return len(p), err
		}
		l.buf = l.buf[n:]
	}
	if len(l.buf) == 0 {
		l.buf = nil // let a large buffer go
	}
	return len(p), nil
}

// Flush writes what is left as a line of its own.
func (l *lineWriter) Flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	err := l.emit(l.buf, "")
	l.buf = nil
	return err
}

// emit writes line, prefixed, with mark before its end, as one Write.
func (l *lineWriter) emit(line []byte, mark string) error {
	if l.onLine != nil {
		l.onLine(line)
	}
	out := make([]byte, 0, len(l.prefix)+len(line)+len(mark)+1)
	out = append(append(out, l.prefix...), bytes.TrimSuffix(line, []byte("\n"))...)
	out = append(append(out, mark...), '\n')
	_, err := l.dst.Write(out)
	return err
}

// outputs copies children's stdout and stderr from pipes to the
// supervisor's writers, line by line.
type outputs struct {
	stdout, stderr io.Writer // *syncio.Writer, so each line stays whole
	prefixes       [2]string // of the lines to stdout and stderr
	wg             sync.WaitGroup
	mu             sync.Mutex
	open           map[*os.File]bool // read ends still being copied
}

// newOutputs copies to stdout and stderr, each line prefixed with
// prefixes[0] and prefixes[1].
func newOutputs(stdout, stderr io.Writer, prefixes [2]string) *outputs {
	return &outputs{
		stdout:   syncio.NewWriter(stdout),
		stderr:   syncio.NewWriter(stderr),
		prefixes: prefixes,
		open:     map[*os.File]bool{},
	}
}

// childPipes are the pipes of one child: the write ends go to the child as
// fds 1 and 2 and are closed in the supervisor once it has started.
type childPipes struct {
	o      *outputs
	r, w   [2]*os.File
	closed bool
	copied sync.WaitGroup // this child's two copies
}

// pipes makes the stdout and stderr pipes for a new child. The write ends
// are close-on-exec in the supervisor (os.Pipe), so only the child they are
// placed at fds 1 and 2 of inherits them.
func (o *outputs) pipes() (*childPipes, error) {
	p := &childPipes{o: o}
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			p.abort()
			return nil, err
		}
		p.r[i], p.w[i] = r, w
	}
	return p, nil
}

// started closes the write ends in the supervisor and starts copying; the
// copies end when the child and everything that inherited the pipes have
// closed them.
func (p *childPipes) started(onLine func([]byte)) {
	dsts := [2]io.Writer{p.o.stdout, p.o.stderr}
	for i := range 2 {
		p.w[i].Close()
		r := p.r[i]
		p.o.mu.Lock()
		p.o.open[r] = true
		p.o.mu.Unlock()
		p.o.wg.Add(1)
		p.copied.Add(1)
		lw := newLineWriter(dsts[i], p.o.prefixes[i])
		lw.onLine = onLine
		go func() {
			defer p.copied.Done()
			p.o.copy(r, lw)
		}()
	}
	p.closed = true
}

// wait waits until this child's output is copied, at most d.
func (p *childPipes) wait(d time.Duration) {
	done := make(chan struct{})
	go func() {
		p.copied.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// abort closes all ends after a failed start.
func (p *childPipes) abort() {
	if p.closed {
		return
	}
	p.closed = true
	for i := range 2 {
		for _, f := range []*os.File{p.r[i], p.w[i]} {
			if f != nil {
				f.Close()
			}
		}
	}
}

func (o *outputs) copy(r *os.File, lw *lineWriter) {
	defer o.wg.Done()
	io.Copy(lw, r)
	lw.Flush()
	o.mu.Lock()
	delete(o.open, r)
	o.mu.Unlock()
	r.Close()
}

// close waits up to outputDrain for every copy to reach EOF, then closes
// the read ends still open (held by grandchildren that outlived their
// group), which ends those copies with their last partial line written.
func (o *outputs) close() {
	done := make(chan struct{})
	go func() {
		o.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(outputDrain)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	o.mu.Lock()
	for r := range o.open {
		r.Close()
	}
	o.mu.Unlock()
	<-done
}
