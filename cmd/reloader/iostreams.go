package main

import (
	"io"
	"os"
)

// ioStreams are the streams a command writes to; tests replace them.
type ioStreams struct {
	Out io.Writer
	Err io.Writer
}

func defaultIO() ioStreams { return ioStreams{Out: os.Stdout, Err: os.Stderr} }
