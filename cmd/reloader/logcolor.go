package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
)

// Colour modes of log.color.
const (
	colorAuto   = "auto"   // on a terminal, unless NO_COLOR is set
	colorAlways = "always" // whatever the stream and NO_COLOR
	colorNever  = "never"
)

// colorOn reports whether a stream is coloured in mode: always, or auto on
// a terminal when NO_COLOR is unset or empty (https://no-color.org).
func colorOn(mode string, tty bool) bool {
	switch mode {
	case colorAlways:
		return true
	case colorAuto:
		return tty && os.Getenv("NO_COLOR") == ""
	}
	return false
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// eventColors colours the value of a few events' event= attribute, by the
// ANSI 256-colour palette: failures red, swaps green, builds cyan.
var eventColors = map[string]uint8{
	"build_failed": 9, "start_failed": 9, "crashed": 9, "hook_failed": 9, "instrument_failed": 11,
	"swapped": 10, "child_ready": 10,
	"building": 14, "build_restarted": 14,
}

// newColorHandler is the text handler of a terminal: tint's, with the time
// of day only and the event= attribute kept as it is (same key and value),
// its value coloured by the event's outcome.
func newColorHandler(w io.Writer, lv slog.Level) slog.Handler {
	return tint.NewTextHandler(w, &tint.Options{
		Level:      lv,
		TimeFormat: time.TimeOnly + ".000",
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == "event" && len(groups) == 0 {
				if c, ok := eventColors[strings.ToLower(a.Value.String())]; ok {
					return tint.Attr(c, a)
				}
			}
			return a
		},
	})
}
