package headless

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// start runs a browser for the test, skipping when Chromium is absent
// outside CI.
func start(t *testing.T) *Browser {
	t.Helper()
	path, err := Find()
	if errors.Is(err, ErrNoChromium) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v; .ci/run installs it", err)
		}
		t.Skip(err)
	}
	b, err := Start(context.Background(), path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// Wait sees a condition that becomes true only after a reload, across the
// reload; Eval awaits a promise; a second tab has its own sessionStorage.
func TestWaitAcrossReload(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><body><p id=n></p><script>
var n=+(sessionStorage.getItem('n')||0)+1; sessionStorage.setItem('n',n);
document.getElementById('n').textContent=n; if (n<3) setTimeout(()=>location.reload(), 20);
</script></body>`)
	}))
	defer srv.Close()
	b := start(t)
	tab, _ := b.Tab(true)
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := Wait(tab, "third load", `document.getElementById('n').textContent === '3'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	got, err := Eval[string](tab, `fetch('/x').then(r => r.text()).then(t => t.slice(0, 15))`)
	if err != nil || !strings.HasPrefix(got, "<!doctype html>") {
		t.Errorf("fetch in the page = %q, %v", got, err)
	}
	_, err = Wait(tab, "never", `false`, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "never") {
		t.Errorf("Wait on false = %v, want a timeout naming the condition", err)
	}
	tab2, cancel := b.Tab(false)
	defer cancel()
	if err := chromedp.Do(tab2, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	if _, err := Wait(tab2, "second tab's third load", `document.getElementById('n').textContent === '3'`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}
