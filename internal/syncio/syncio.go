// Package syncio holds a writer that is safe for concurrent use.
package syncio

import (
	"io"
	"sync"
)

// Writer serialises writes to an underlying writer, so that each line
// written with one Write call stays whole among the lines that other
// goroutines write (a logger's, children's, hooks'). A Writer must be made
// with NewWriter and must not be copied after first use.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p to the underlying writer while no other Write runs.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
