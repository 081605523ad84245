package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reloader-dev/reloader/internal/headless"
)

// liveFlags run reloader with the live-reload proxy, and count the app
// (webapp, which sends no READY=1) ready after 100ms up.
var liveFlags = []string{"--live-reload", "--ready-delay", "100ms"}

// browserWait bounds every wait on a page: the build of an edit, a swap
// and a reload, on a machine whose 2 cores other tests share.
const browserWait = 90 * time.Second

// startBrowser runs a headless Chromium for the test with a fresh profile,
// ended when the test ends. Without Chromium it skips, but on CI
// ($CI set, as CI=true), which installs it, it fails.
func startBrowser(t *testing.T) *headless.Browser {
	t.Helper()
	path, err := headless.Find()
	if errors.Is(err, headless.ErrNoChromium) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; .ci/run installs it", err)
		}
		t.Skip(err)
	}
	b, err := headless.Start(context.Background(), path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// tab is a browser tab on a page served through reloader.
type tab struct {
	t    *testing.T
	ctx  context.Context
	name string // the page's path, for messages
}

// openTab opens url in the browser's first tab (first) or a new one.
func openTab(t *testing.T, b *headless.Browser, first bool, url string) *tab {
	t.Helper()
	ctx, cancel := b.Tab(first)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return &tab{t: t, ctx: ctx, name: url}
}

// wait waits until the JavaScript expression expr is true in the page,
// across reloads, and returns how long that took.
func (p *tab) wait(what, expr string) time.Duration {
	p.t.Helper()
	d, err := headless.Wait(p.ctx, p.name+": "+what, expr, browserWait)
	if err != nil {
		p.t.Fatalf("%v\npage: %s", err, p.text())
	}
	return d
}

// text is the page's visible text, for failure messages.
func (p *tab) text() string {
	s, err := headless.Eval[string](p.ctx, `document.body ? document.body.innerText : "(no body)"`)
	if err != nil {
		return err.Error()
	}
	return s
}

// str evaluates expr, which gives a string, in the page.
func (p *tab) str(expr string) string {
	p.t.Helper()
	s, err := headless.Eval[string](p.ctx, expr)
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return s
}

// waitVersion waits until the page shows version v, then checks it was
// loaded exactly loads times in this tab: one load per swap, none missed,
// none doubled.
func (p *tab) waitVersion(v string, loads int) {
	p.t.Helper()
	// #loads is set by a script after #version: wait for both.
	p.wait("version "+v, fmt.Sprintf(`document.getElementById("version").textContent === "version=%s" && document.getElementById("loads").textContent !== ""`, v))
	if got := p.str(`document.getElementById("loads").textContent`); got != strconv.Itoa(loads) {
		p.t.Errorf("%s: page loads when version %s showed = %s, want %d (one reload per swap)", p.name, v, got, loads)
	}
}

// live waits until the live-reload script runs and is connected.
func (p *tab) live() {
	p.t.Helper()
	p.wait("live-reload script connected", `document.querySelector("script[data-reloader]") !== null && !!window.__reloader && window.__reloader.connected === true`)
}

// screenshot writes a PNG of the page to RELOADER_SCREENSHOT (relative to
// the repository root) when that is set; CI leaves it unset.
func (p *tab) screenshot() {
	p.t.Helper()
	out := os.Getenv("RELOADER_SCREENSHOT")
	if out == "" {
		return
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(repoRoot(p.t), out)
	}
	// A short viewport: the page's top and the overlay at its bottom.
	if err := chromedp.Do(p.ctx, chromedp.EmulateViewport(960, 340)); err != nil {
		p.t.Fatalf("screenshot viewport: %v", err)
	}
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s", out)
}

// overlay is the CSS selector of the live-reload overlay of kind.
func overlay(kind string) string {
	return `#__reloader_overlay[data-kind="` + kind + `"]`
}
