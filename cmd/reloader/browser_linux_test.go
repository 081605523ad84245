package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The live-reload acceptance tests of issue 15, in a real headless
// Chromium (internal/headless) on pages of testdata/servers/webapp served
// through the reloader binary with --live-reload.

// 20 edits of the Go source: the page shows each new version by itself,
// loaded exactly once per edit: no edit missed, none reloaded twice.
func TestBrowserFollowsEdits(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "webapp", liveFlags...)
	p := openTab(t, startBrowser(t), true, s.url)
	p.waitVersion("v1", 1)
	p.live()
	for i := 2; i <= 21; i++ {
		v := "v" + strconv.Itoa(i)
		setVersion(t, s.dir, v)
		p.waitVersion(v, i)
	}
	if n := len(s.r.events(0, "build_failed")); n != 0 {
		t.Errorf("build_failed events = %d, want 0", n)
	}
}

// brokenLine does not compile; the compiler quotes its string, which
// must reach the overlay as text, not markup.
const brokenLine = "\nvar broken int = \"<b>not bold</b>\"\n"

// A compile error shows the overlay with the compiler's file:line and an
// editor link, escaped; the old server keeps serving the page under it;
// the next good edit removes it and shows the new version. With
// RELOADER_SCREENSHOT set, the overlay is the README's screenshot.
func TestBrowserBuildErrorOverlay(t *testing.T) {
	t.Parallel()
	s := startSession(t, "webapp", liveFlags...)
	p := openTab(t, startBrowser(t), true, s.url)
	p.waitVersion("v1", 1)
	p.live()

	main := filepath.Join(s.dir, "main.go")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Count(string(src), "\n") + 2 // brokenLine's line
	write(t, main, string(src)+brokenLine)
	p.wait("build-failed overlay", `document.querySelector('`+overlay("build-failed")+` pre') !== null`)
	text := p.str(`document.querySelector('` + overlay("build-failed") + `').textContent`)
	loc := fmt.Sprintf("main.go:%d:", line)
	if !strings.Contains(text, loc) || !strings.Contains(text, `"<b>not bold</b>"`) {
		t.Errorf("overlay text lacks %q or the quoted markup:\n%s", loc, text)
	}
	if bold := p.str(`String(document.querySelectorAll('#__reloader_overlay b').length)`); bold != "0" {
		t.Errorf("overlay has %s <b> elements: compiler output was inserted as HTML", bold)
	}
	href := p.str(`(document.querySelector('#__reloader_overlay a.__reloader_loc') || {href: ""}).href`)
	if want := regexp.MustCompile(`^vscode://file/` + regexp.QuoteMeta(s.dir) + `/main\.go:` + strconv.Itoa(line) + `:\d+$`); !want.MatchString(href) {
		t.Errorf("editor link = %q, want %v", href, want)
	}
	if n := p.str(`String(document.querySelectorAll("#__reloader_overlay").length)`); n != "1" {
		t.Errorf("overlays = %s, want 1", n)
	}
	// The page underneath still works: the old server answers its fetch.
	p.str(`document.getElementById("ping").click(), ""`)
	p.wait("ping answered under the overlay", `document.getElementById("pong").textContent === "pong"`)
	p.screenshot()

	write(t, main, strings.Replace(string(src), `const version = "v1"`, `const version = "v2"`, 1))
	p.waitVersion("v2", 2)
	if n := p.str(`String(document.querySelectorAll("#__reloader_overlay").length)`); n != "0" {
		t.Errorf("overlays after the good edit = %s, want 0", n)
	}
}

// A CSS change under browser.assets restyles the page in place: no build,
// no reload. A crash at start-up shows the crash overlay with the app's
// output; the next good edit removes it.
func TestBrowserCSSAndCrash(t *testing.T) {
	t.Parallel()
	dir := writeApp(t, "webapp")
	write(t, filepath.Join(dir, "static", "app.css"), "h1 { color: rgb(200, 0, 0); }\n")
	write(t, filepath.Join(dir, ".reloader.toml"), "[browser]\nassets = [\"static/**/*.css\"]\n")
	s := startCheapSessionIn(t, dir, "webapp", liveFlags...)
	p := openTab(t, startBrowser(t), true, s.url)
	p.waitVersion("v1", 1)
	p.live()
	const color = `getComputedStyle(document.getElementById("version")).color`
	if got := p.str(color); got != "rgb(200, 0, 0)" {
		t.Fatalf("h1 color before the edit = %q", got)
	}

	from := s.r.mark()
	write(t, filepath.Join(dir, "static", "app.css"), "h1 { color: rgb(0, 0, 200); }\n")
	p.wait("restyled", color+` === "rgb(0, 0, 200)"`)
	s.r.waitEvent(from, "browser_refresh", browserWait, "source=assets")
	if got := p.str(`document.getElementById("loads").textContent`); got != "1" {
		t.Errorf("page loads after the CSS edit = %s, want 1 (no reload)", got)
	}
	if got := p.str(`String(window.__reloader.cssRefreshes)`); got == "0" || got == "undefined" {
		t.Errorf("window.__reloader.cssRefreshes = %s, want ≥ 1", got)
	}
	if b := s.r.events(from, "building"); len(b) != 0 {
		t.Errorf("the CSS edit started %d builds: %v", len(b), b)
	}

	setVersion(t, s.dir, "crash2")
	p.wait("crash overlay", `document.querySelector('`+overlay("crashed")+` pre') !== null`)
	if text := p.str(`document.querySelector('` + overlay("crashed") + `').textContent`); !strings.Contains(text, "boom: crash at start-up in crash2") {
		t.Errorf("crash overlay lacks the app's last output:\n%s", text)
	}
	if got := p.str(`document.getElementById("version").textContent`); got != "version=v1" {
		t.Errorf("page under the crash overlay = %q, want the old version", got)
	}

	// The crashing generation's start reloaded the page once (held, then
	// answered by v1 under the overlay); v3's swap reloads it once more.
	setVersion(t, s.dir, "v3")
	p.waitVersion("v3", 3)
	if n := p.str(`String(document.querySelectorAll("#__reloader_overlay").length)`); n != "0" {
		t.Errorf("overlays after the good edit = %s, want 0", n)
	}
}

// A gzip page, a page under a nonce CSP (in the header; in a <meta> only)
// and a page with a websocket and an EventSource of its own get the
// script, keep working, and reload on a swap. One browser, one tab each (each its own sessionStorage).
func TestBrowserPagesKeepWorking(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "webapp", liveFlags...)
	b := startBrowser(t)
	gz := openTab(t, b, true, s.url+"gzip")
	csp := openTab(t, b, false, s.url+"csp")
	cspMeta := openTab(t, b, false, s.url+"cspmeta")
	st := openTab(t, b, false, s.url+"streams")
	for _, p := range []*tab{gz, csp, cspMeta, st} {
		p.waitVersion("v1", 1)
		p.live()
	}
	streams := func(v string) {
		t.Helper()
		st.wait("app's EventSource delivers", `document.getElementById("ticks").textContent.startsWith("`+v+` tick ")`)
		first := st.str(`document.getElementById("ticks").textContent`)
		st.wait("app's EventSource keeps delivering", `document.getElementById("ticks").textContent !== "`+first+`"`)
		msg := "echo-" + v
		st.str(`window.wsOpen.then(() => { ws.send("` + msg + `"); return ""; })`)
		st.wait("app's websocket echoes", `document.getElementById("ws").textContent === "`+msg+`"`)
	}
	streams("v1")
	if got := gz.str(`document.getElementById("kind").textContent`); got != "gzip" {
		t.Errorf("gzip page body = %q", got)
	}

	setVersion(t, s.dir, "v2")
	for _, p := range []*tab{gz, csp, cspMeta, st} {
		p.waitVersion("v2", 2)
		p.live()
	}
	streams("v2")
}
