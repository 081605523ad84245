//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reloader-dev/reloader/internal/headless"
	"github.com/reloader-dev/reloader/internal/logline"
)

// browserTool is one way of serving the page to the browser.
type browserTool struct {
	label string
	argv  []string
	env   []string
	files map[string]string
	sig   syscall.Signal
	url   string         // the public address the browser opens
	appRe *regexp.Regexp // the app's "listening on" line: its private address
	air   bool           // build times come from air's lines, not reloader's events
}

// browserRun is one tool's run of the edit loop.
type browserRun struct {
	s2b            []time.Duration // save to the new version in the DOM
	toSwap, toDOM  []time.Duration // reloader: save to its swapped line, that line to the DOM
	builds, starts []time.Duration // reloader: build_time and swap_time; air: building... to running...
	multi, missed  int             // edits that took more than one reload; edits never shown
	direct, proxy  time.Duration   // p50 of /ping on the app's port and through the tool
	overhead       time.Duration   // median of the paired differences (proxy - direct)
}

// reAppListening is webServer's line naming the address it listens on.
var reAppListening = regexp.MustCompile(`server \S+ listening on (\S+)`)

var reSwappedLine = regexp.MustCompile(`\bevent=swapped\b.*`)

// missWait is how long an edit may take to reach the page before it counts
// as missed (the page is then reloaded by hand to go on).
const missWait = 30 * time.Second

func browserScenario(ctx context.Context, e *env) (section, error) {
	edits, pings := 20, 4000
	if e.opts.Quick {
		edits, pings = 2, 200
	}
	sec := section{
		Name:  "browser",
		Title: "6. Save to browser (live reload)",
		Intro: fmt.Sprintf("A net/http page (150 ms init) open in headless Chromium (chromedp) through each tool's live-reload proxy, edited %d times (`const version`, %v apart). "+
			"*Save-to-browser* runs from the file write to the new version in the page's DOM, read from the page itself (`Date.now()` in a script right after the version). "+
			"A *reload* is a page load; an edit is *missed* when its version is not shown within %v. *Build* is reloader's `build_time` (air: `building...` to `running...`); "+
			"*start* is reloader's `swap_time`, the new child's start to ready (its 150 ms init). Proxy p50: %d sequential keep-alive GETs of a small text response, alternating the app's own port and the proxy; the overhead is the median of the paired differences.",
			edits, 300*time.Millisecond, missWait, pings),
		Header: []string{"tool", "edits", "save-to-browser median", "max", "build median", "start median", "edits with >1 reload", "missed", "p50 direct", "p50 through proxy", "proxy overhead"},
	}
	path, err := headless.Find()
	if err != nil {
		sec.check("save-to-browser measured", false, "%v", err)
		return sec, nil
	}
	b, err := headless.Start(ctx, path, e.tmp+"/chromium")
	if err != nil {
		return sec, err
	}
	defer b.Close()
	results := map[string]browserRun{}
	var tools []browserTool
	pub, err := freePort()
	if err != nil {
		return sec, err
	}
	tools = append(tools, browserTool{label: "reloader --live-reload", sig: syscall.SIGTERM, url: "http://" + pub + "/",
		argv:  []string{e.reloader, "--debounce", swapDebounce, "-l", pub, "--live-reload", "--", "go", "run", "."},
		appRe: reAppListening})
	if e.air != "" {
		pub, app := freePortNum(), freePortNum()
		tools = append(tools, browserTool{label: "air " + strings.TrimPrefix(airModule, "github.com/air-verse/air@") + " proxy", sig: syscall.SIGINT,
			url: "http://127.0.0.1:" + pub + "/", argv: []string{e.air, "-c", ".air.toml"}, env: []string{"ADDR=127.0.0.1:" + app},
			files: map[string]string{".air.toml": airProxyConfig(pub, app)}, appRe: reAppListening, air: true})
	} else {
		sec.Notes = append(sec.Notes, e.airNote)
	}
	for i, t := range tools {
		e.opts.Log.Info("browser", "tool", t.label, "edits", edits)
		r, err := runBrowser(ctx, e, b, i == 0, t, edits, pings)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", t.label, err)
		}
		results[t.label] = r
		sec.row(t.label, itoa(edits), ms(median(r.s2b)), ms(maxOr(r.s2b)), ms(median(r.builds)), ms(median(r.starts)),
			itoa(r.multi), itoa(r.missed), usec(r.direct), usec(r.proxy), usec(r.overhead))
	}
	rel := results[tools[0].label]
	initDir, err := e.newModule(ctx, "browser-init", map[string]string{"main.go": webServer}, false)
	if err != nil {
		return sec, err
	}
	runs := 5
	if e.opts.Quick {
		runs = 1
	}
	inits, err := measureInit(ctx, e, initDir, runs)
	if err != nil {
		return sec, err
	}
	appInit := median(inits)
	sec.Notes = append(sec.Notes, fmt.Sprintf("App init, the page's binary started alone %d times, its start to its READY=1 (median): %s, for its %s sleep; "+
		"the budget below uses it.", runs, ms(appInit), ms(appSleep)))
	budget := median(rel.builds) + appInit + 100*time.Millisecond
	sec.check("reloader: save-to-browser ≤ build + app init + 100 ms", median(rel.s2b) <= budget,
		"median %s, budget %s (build %s + init %s + 100 ms); the new child's start to ready took %s%s", ms(median(rel.s2b)), ms(budget), ms(median(rel.builds)), ms(appInit), ms(median(rel.starts)),
		ifMissed(median(rel.s2b) <= budget, fmt.Sprintf("; the browser's side, from the swapped line to the new version in the DOM, took %s (median): the reload and the page's parse in a renderer that shares the 2 cores", ms(median(rel.toDOM)))))
	if len(rel.toDOM) > 0 {
		sec.Notes = append(sec.Notes, fmt.Sprintf("reloader's save-to-browser, split at its `event=swapped` line (read by the bench as it was written; medians over the edits): save to swapped %s "+
			"(debounce %s, build, the new child's start to ready), swapped to the new version in the DOM %s (the `swapped` event over SSE, `location.reload()`, the page through the proxy, parsing), max %s.",
			ms(median(rel.toSwap)), swapDebounce, ms(median(rel.toDOM)), ms(maxOr(rel.toDOM))))
	}
	sec.check("reloader: every edit shown with exactly one reload", rel.multi == 0 && rel.missed == 0,
		"%d edits with more than one reload, %d missed, of %d", rel.multi, rel.missed, edits)
	sec.check("reloader: proxy adds ≤ 0.3 ms to p50 on loopback", rel.overhead <= 300*time.Microsecond,
		"median paired difference %s (p50 direct %s, through the proxy %s)", usec(rel.overhead), usec(rel.direct), usec(rel.proxy))
	return sec, nil
}

// runBrowser runs the edit loop for one tool in a fresh module, in the
// browser's first tab or a new one.
func runBrowser(ctx context.Context, e *env, b *headless.Browser, first bool, t browserTool, edits, pings int) (browserRun, error) {
	var r browserRun
	files := map[string]string{"main.go": webServer}
	for p, c := range t.files {
		files[p] = c
	}
	dir, err := e.newModule(ctx, "browser", files, false)
	if err != nil {
		return r, err
	}
	p, err := startProc(dir, t.env, t.argv...)
	if err != nil {
		return r, err
	}
	defer func() {
		p.stop(t.sig, 15*time.Second)
		killStrays(dir)
	}()
	if _, _, _, err := p.waitLine(ctx, 0, t.appRe, e.wait(90*time.Second)); err != nil {
		return r, err
	}
	tab, closeTab := b.Tab(first)
	defer closeTab()
	if err := chromedp.Do(tab, chromedp.Navigate(t.url)); err != nil {
		return r, fmt.Errorf("open %s: %w", t.url, err)
	}
	shown := func(v string) string { return `document.getElementById("version").textContent === "version=` + v + `"` }
	if _, err := headless.Wait(tab, "first page", shown("v0"), e.wait(60*time.Second)); err != nil {
		return r, err
	}
	loads := 1
	for i := 1; i <= edits; i++ {
		if err := sleep(ctx, 300*time.Millisecond); err != nil { // a developer does not save twice a second
			return r, err
		}
		v := fmt.Sprintf("e%d", i)
		from := p.mark()
		saved := time.Now()
		if err := setVersion(dir, v); err != nil {
			return r, err
		}
		// Polled every 100 ms: the page records when the version reached
		// its DOM itself, and each poll is a round trip to the page's
		// main thread that the reload's commit and parse wait behind
		// (polled every 10 ms, that part took about 20 ms longer).
		if _, err := headless.WaitEvery(tab, "edit "+v, shown(v), 100*time.Millisecond, e.wait(missWait)); err != nil {
			r.missed++
			e.opts.Log.Warn("browser: edit missed; reloading by hand", "tool", t.label, "version", v)
			if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
				return r, fmt.Errorf("reloading by hand after %s: %w:%s", v, err, p.tail(20))
			}
			if _, err := headless.Wait(tab, "edit "+v+" after a manual reload", shown(v), e.wait(missWait)); err != nil {
				return r, fmt.Errorf("%w:%s", err, p.tail(20))
			}
		}
		at, err1 := headless.Eval[float64](tab, `window.shownAt`)
		n, err2 := headless.Eval[string](tab, `sessionStorage.getItem("loads")`)
		if err1 != nil || err2 != nil {
			return r, fmt.Errorf("reading the page after %s: %v, %v", v, err1, err2)
		}
		inDOM := time.UnixMilli(int64(at))
		r.s2b = append(r.s2b, inDOM.Sub(saved.Truncate(time.Millisecond)))
		var now int
		fmt.Sscan(n, &now)
		if now-loads > 1 {
			r.multi++
		}
		loads = now
		build, start, swapped := buildSplit(ctx, p, from, t.air)
		r.builds = append(r.builds, build)
		r.starts = append(r.starts, start)
		if !swapped.IsZero() {
			r.toSwap = append(r.toSwap, swapped.Sub(saved))
			r.toDOM = append(r.toDOM, inDOM.Sub(swapped.Truncate(time.Millisecond)))
		}
	}
	app := p.last(t.appRe) // the app of the last edit
	if app == nil {
		return r, fmt.Errorf("no line matching %q", t.appRe)
	}
	r.direct, r.proxy, r.overhead, err = pingP50(ctx, "http://"+app[1]+"/ping", t.url+"ping", pings)
	return r, err
}

// last returns the submatches of the last line that matches re, nil if
// none does.
func (p *proc) last(re *regexp.Regexp) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.lines) - 1; i >= 0; i-- {
		if m := re.FindStringSubmatch(p.lines[i].text); m != nil {
			return m
		}
	}
	return nil
}

// buildSplit reads an edit's build time and start time from the tool's
// output from index from on: reloader's swapped event (with when the bench
// read it), or air's building... and running... lines.
func buildSplit(ctx context.Context, p *proc, from int, air bool) (build, start time.Duration, swapped time.Time) {
	if air {
		if _, at, next, err := p.waitLine(ctx, from, reAirBuilding, 5*time.Second); err == nil {
			if _, end, _, err := p.waitLine(ctx, next, reAirRun, 5*time.Second); err == nil {
				return end.Sub(at), 0, time.Time{}
			}
		}
		return 0, 0, time.Time{}
	}
	m, at, _, err := p.waitLine(ctx, from, reSwappedLine, 5*time.Second)
	if err != nil {
		return 0, 0, time.Time{}
	}
	a := logline.Attrs(m[0])
	build, _ = time.ParseDuration(a["build_time"])
	start, _ = time.ParseDuration(a["swap_time"])
	return build, start, at
}

// pingP50 sends n GETs to each URL over one keep-alive connection each,
// alternating, and returns the median latency of each and the median of
// the n paired differences (proxied minus direct), which a machine whose
// load drifts during the run disturbs less.
func pingP50(ctx context.Context, direct, proxied string, n int) (time.Duration, time.Duration, time.Duration, error) {
	var a, b, diff []time.Duration
	cd, cp := keepAliveClient(), keepAliveClient()
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, err
		}
		for _, x := range []struct {
			c   *pingClient
			url string
			out *[]time.Duration
		}{{cd, direct, &a}, {cp, proxied, &b}} {
			d, err := x.c.get(x.url)
			if err != nil {
				return 0, 0, 0, err
			}
			*x.out = append(*x.out, d)
		}
		diff = append(diff, b[i]-a[i])
	}
	return median(a), median(b), median(diff), nil
}

// freePortNum is freePort's port number alone, "0" if none was free.
func freePortNum() string {
	a, err := freePort()
	if err != nil {
		return "0"
	}
	_, port, _ := net.SplitHostPort(a)
	return port
}

// usec formats a small latency in milliseconds with 3 decimals.
func usec(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// pingClient times GETs over one keep-alive connection.
type pingClient struct{ c *http.Client }

func keepAliveClient() *pingClient {
	return &pingClient{c: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}}
}

// get returns the time from sending the request to reading the whole body.
func (p *pingClient) get(url string) (time.Duration, error) {
	t0 := time.Now()
	resp, err := p.c.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return d, err
}
