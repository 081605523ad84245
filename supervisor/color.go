package supervisor

import "strings"

// The ANSI escapes of coloured output (Config.ColorStdout, ColorStderr and
// ClearScreen).
const (
	ansiReset      = "\x1b[0m"
	ansiAppPrefix  = "\x1b[36m" // cyan
	ansiHookPrefix = "\x1b[35m" // magenta
	// ansiClear moves the cursor home, clears the screen and its
	// scroll-back (xterm's E3, which terminals without it ignore).
	ansiClear = "\x1b[H\x1b[2J\x1b[3J"
)

// colored returns prefix with its visible part in color and its trailing
// white space after the reset. An empty prefix stays empty.
func colored(prefix, color string) string {
	text := strings.TrimRight(prefix, " \t")
	if text == "" {
		return prefix
	}
	return color + text + ansiReset + prefix[len(text):]
}

// linePrefix is the prefix of a line written to stream i (0 stdout, 1
// stderr): prefix, coloured when that stream is.
func (s *Supervisor) linePrefix(prefix, color string, stream int) string {
	if (stream == 0 && s.cfg.ColorStdout) || (stream == 1 && s.cfg.ColorStderr) {
		return colored(prefix, color)
	}
	return prefix
}

// clearScreen clears the terminal on Stderr before a build's output, when
// Config.ClearScreen asks for it.
func (s *Supervisor) clearScreen() {
	if s.cfg.ClearScreen {
		s.out.stderr.Write([]byte(ansiClear))
	}
}
