//go:build linux

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reloader-dev/reloader/internal/headless"
)

// TestQuickRun runs every scenario in -quick mode (1 edit, 200 files, 20
// swaps, one small tree, 2 edits in the browser, no air) and checks that each reports the rows it
// should. It asserts no timings.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes and builds")
	}
	// Inside the suite, other packages' load tests starve the niced builds:
	// a build that takes 2s alone has taken a minute.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	var stdout strings.Builder
	opts, err := parseFlags([]string{"-quick", "-out", out}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	opts.Log = slog.New(slog.NewTextHandler(t.Output(), nil))
	secs, err := run(ctx, opts, &stdout)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	want := map[string][]string{
		"swap":      {"reloader", "reloader --build-nice=0", "reloader --steering=false", "reloader, no -l: app binds its port (instrumented)", "naive: reloader --restart sequential, app binds"},
		"build":     {"go build", "reloader dev profile (go build -ldflags=\"-s -w\" -buildvcs=false)"},
		"storm":     {"reloader"},
		"scale":     {"reloader", "reloader, polling every 500ms"},
		"endurance": {"open fds", "OS threads (proxy for goroutines)", "RSS"},
		"browser":   {"reloader --live-reload"},
	}
	if _, err := headless.Find(); err != nil {
		want["browser"] = nil // the section says Chromium is missing
	}
	if len(secs) != len(want) {
		t.Fatalf("got %d sections, want %d", len(secs), len(want))
	}
	for _, s := range secs {
		labels := s.rowLabels()
		if !slices.Equal(labels, want[s.Name]) {
			t.Errorf("%s rows = %q, want %q", s.Name, labels, want[s.Name])
		}
		if len(s.Targets) == 0 {
			t.Errorf("%s checks no target", s.Name)
		}
		if !strings.Contains(stdout.String(), s.Title) {
			t.Errorf("the printed table has no %q", s.Title)
		}
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"# Benchmarks", "| CPU |", "| Go |", "## Targets", "## 1. Swap under load", "## 5. Endurance"} {
		if !strings.Contains(string(md), w) {
			t.Errorf("report lacks %q", w)
		}
	}
	// The swap rows lost no request with steering, but the smoke run does
	// not hold timings: only that every row has figures.
	for _, row := range secs[0].Rows {
		if len(row) != len(secs[0].Header) {
			t.Errorf("swap row %q has %d cells, header %d", row[0], len(row), len(secs[0].Header))
		}
	}
}
