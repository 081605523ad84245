package supervisor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/reloader-dev/reloader/watcher"
)

// fakeSource is a change source whose batches the test sends.
type fakeSource struct{ changes chan watcher.Batch }

func (f *fakeSource) Changes() <-chan watcher.Batch { return f.changes }
func (f *fakeSource) Errors() <-chan error          { return nil }
func (f *fakeSource) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (f *fakeSource) Close() error                  { return nil }
func (f *fakeSource) Hold() (release func())        { return func() {} }
func (f *fakeSource) send(paths ...string) {
	f.changes <- watcher.Batch{Paths: paths, Count: len(paths)}
}

// startRulesLoop is startLoop with rules and a fake source under /src.
func startRulesLoop(t *testing.T, f *fakeGens, rules ...Rule) (*loopRun, *fakeSource) {
	t.Helper()
	src := &fakeSource{changes: make(chan watcher.Batch)}
	r := startLoopWith(t, func(c *Config) { c.Watch, c.Rules = true, rules }, f, func(s *Supervisor) {
		s.watchOpts = watcher.Options{Root: "/src"}
		s.sources = func(watcher.Options) (changeSource, error) { return src, nil }
	})
	return r, src
}

// A change whose rules say reload waits for the build under way instead
// of cancelling it, then asks the browser to refresh; restart starts the
// serving build again without building.
func TestLoopRulesThen(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFakeGens()
		r, src := startRulesLoop(t, f,
			Rule{Name: "css", Match: []string{"**/*.css"}, Then: ThenReload},
			Rule{Name: "pages", Match: []string{"**/*.html"}, Then: ThenRestart},
			Rule{Name: "sql", Match: []string{"**/*.sql"}, Then: ThenNone})
		time.Sleep(2 * time.Second) // the first build and start
		src.send("/src/main.go")
		time.Sleep(300 * time.Millisecond) // building gen 2
		src.send("/src/site.css")
		time.Sleep(2 * time.Second)
		if n := len(all[BuildRestarted](r)); n != 0 {
			t.Errorf("%d builds restarted by a reload-only change, want 0", n)
		}
		wantEq(t, "cancelled builds", f.cancelled, nil)
		refresh := all[BrowserRefresh](r)
		if len(refresh) != 1 || refresh[0].Source != "css" || !refresh[0].CSS || refresh[0].Paths[0] != "site.css" {
			t.Errorf("browser refreshes = %+v, want one for site.css from css", refresh)
		}
		src.send("/src/q.sql")
		synctest.Wait()
		src.send("/src/web/page.html")
		time.Sleep(2 * time.Second)
		sw := all[Swapped](r)
		if len(sw) != 3 || sw[2].Gen != 3 || sw[2].Change != "/src/web/page.html" || sw[2].BuildTime >= time.Second {
			t.Errorf("swaps = %+v, want a third for page.html with no build (build time %v)", sw, f.buildTime)
		}
		if n := len(f.children); n != 3 {
			t.Errorf("%d children, want 3 (sql only runs)", n)
		}
		r.stop(t)
	})
}
