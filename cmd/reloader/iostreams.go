package main

import (
	"io"
	"os"
)

// ioStreams are the streams a command writes to; tests replace them.
type ioStreams struct {
	In    io.Reader // nil means no input
	InTTY bool      // In is a terminal, so commands may prompt
	Out   io.Writer
	Err   io.Writer
	// OutTTY and ErrTTY are set when Out and Err are terminals, so output
	// there may be coloured (log.color) and the screen cleared (log.clear).
	OutTTY, ErrTTY bool
}

func defaultIO() ioStreams {
	tty := false
	if fi, err := os.Stdin.Stat(); err == nil {
		tty = fi.Mode()&os.ModeCharDevice != 0
	}
	return ioStreams{In: os.Stdin, InTTY: tty, Out: os.Stdout, Err: os.Stderr, OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr)}
}
