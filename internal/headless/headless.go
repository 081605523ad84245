// Package headless runs Debian's Chromium headless through chromedp for the
// live-reload acceptance tests of cmd/reloader and the save-to-browser
// scenario of the benchmark: one browser per caller, a fresh profile each,
// and a wait on a JavaScript condition that survives the page reloads the
// live-reload script triggers.
package headless

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrNoChromium is returned by Find when no Chromium is installed.
var ErrNoChromium = errors.New("chromium not found (Debian package chromium: apt-get install chromium)")

// Find returns the path of the Chromium binary: chromium, then
// chromium-browser, on $PATH.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Browser is a running headless Chromium.
type Browser struct {
	ctx    context.Context // the allocator's browser context
	cancel context.CancelFunc
}

// Start runs the Chromium at path headless with a profile in userDataDir
// (an empty directory the caller owns) and a 1200x800 window. Close ends it.
func Start(ctx context.Context, path, userDataDir string) (*Browser, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1200, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Run starts the browser and opens its first tab.
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	return &Browser{ctx: bctx, cancel: func() { bcancel(); acancel() }}, nil
}

// Tab returns the context of a tab: the browser's first tab on the first
// call, a new tab after. Cancelling the returned func closes a new tab.
// Each tab has its own sessionStorage.
func (b *Browser) Tab(first bool) (context.Context, context.CancelFunc) {
	if first {
		return b.ctx, func() {}
	}
	return chromedp.NewContext(b.ctx)
}

// Close ends the browser and waits for it to exit.
func (b *Browser) Close() { b.cancel() }

// Wait evaluates the JavaScript expression expr in the tab every 10ms
// until it is true, and returns how long that took. Evaluation errors
// (the page is between two documents during a reload) count as false. It
// returns an error naming what after timeout, with the last value seen.
func Wait(ctx context.Context, what, expr string, timeout time.Duration) (time.Duration, error) {
	return WaitEvery(ctx, what, expr, 10*time.Millisecond, timeout)
}

// WaitEvery is Wait evaluating expr every interval. Each evaluation runs on
// the page's main thread, so a measurement that the page takes itself is
// disturbed less by a longer interval.
func WaitEvery(ctx context.Context, what, expr string, every, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	var last error
	for {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return time.Since(start), nil
		}
		last = err
		select {
		case <-tick.C:
		case <-deadline.C:
			return time.Since(start), fmt.Errorf("%s: not true within %v (%s; last error: %v)", what, timeout, expr, last)
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("%s: %w", what, ctx.Err())
		}
	}
}

// Eval evaluates expr in the tab, awaiting it if it is a promise, and
// returns its value.
func Eval[T any](ctx context.Context, expr string) (T, error) {
	ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ectx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}
