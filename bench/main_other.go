//go:build !linux

// Command bench measures reloader against the tools users run today. It
// reads /proc and relies on Linux socket behaviour, so it runs on Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench: needs Linux (it reads /proc and uses SO_REUSEPORT steering)")
	os.Exit(1)
}
