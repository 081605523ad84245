package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/reloader-dev/reloader/watcher"
)

// streamNames reads the event: names of an SSE stream until it has n.
func streamNames(t *testing.T, url string, n int, after func()) ([]string, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	var names, lines []string
	for sc.Scan() {
		l := sc.Text()
		if len(names) == n && l == "" {
			break // the nth event is whole
		}
		lines = append(lines, l)
		if name, ok := strings.CutPrefix(l, "event: "); ok {
			names = append(names, name)
			if len(names) == 1 {
				after() // subscribed: now the events come
			}
		}
	}
	return names, lines
}

// Every event a browser follows is mapped from the supervisor's: compiler
// output with its file:line turned into editor links, a started child as
// starting (naming the generation pages wait for), a crash with the
// child's last lines, assets as css, and swapped with the new generation
// as its id.
func TestLiveReloadEventMapping(t *testing.T) {
	t.Parallel()
	s := &Supervisor{cfg: Config{EditorURL: "ed://{path}#{line}:{col}"}, dir: "/src/app", log: slog.New(slog.DiscardHandler)}
	l := newLiveReload(s)
	srv := httptest.NewServer(l.handler(http.NotFoundHandler()))
	defer srv.Close()
	names, lines := streamNames(t, srv.URL+"/__reloader/events", 7, func() {
		l.publish(Building{Gen: 2, Change: "main.go"})
		l.publish(BuildFailed{Gen: 2, Err: errors.New("exit status 1"), Output: []byte("./main.go:7:2: undefined: <x>\n")})
		l.publish(ChildStarted{Gen: 3, PID: 1})
		l.publish(Crashed{PID: 9, Status: "exit status 2", Output: []byte("panic: boom\n\t/src/app/h.go:12 +0x1\n")})
		l.publish(BrowserRefresh{Paths: []string{"static/app.css"}, CSS: true, Source: "assets"})
		l.publish(Swapped{Gen: 3})
	})
	if got := strings.Join(names, ","); got != "hello,building,build-failed,starting,crashed,css,swapped" {
		t.Errorf("events %s", got)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		`{"text":"./main.go:7:2","href":"ed:///src/app/main.go#7:2"}`,
		`{"text":": undefined: \u003cx\u003e\n"}`,
		`{"text":"/src/app/h.go:12","href":"ed:///src/app/h.go#12:1"}`,
		`"status":"exit status 2"`,
		`"paths":["static/app.css"]`,
		`.3"}`, // starting: {"wait":"<run>.3"}
	} {
		if !strings.Contains(all, want) {
			t.Errorf("stream lacks %s:\n%s", want, all)
		}
	}
	if id := lines[len(lines)-2]; !strings.HasPrefix(id, "id: ") || !strings.HasSuffix(id, ".3") {
		t.Errorf("swapped %q, want id <run>.3", id)
	}
}

// A file under Assets refreshes browsers without a build, though its
// extension is not watched and .gitignore skips its directory; a Go file
// still builds.
func TestAssetsRefreshWithoutBuild(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "static", "css"), 0o755)
	os.WriteFile(filepath.Join(root, ".gitignore"), []byte("static/\n"), 0o644)
	h := newHarness(t, config(func(c *Config) {
		c.Watch, c.WatchRoot, c.Dir = true, root, root
		c.Assets = []string{"static/css/*.css", "templates/**"}
	}))
	h.waitReady()
	waitFor[Watching](t, h, nil)
	os.WriteFile(filepath.Join(root, "static", "css", "app.css"), []byte("h1{}"), 0o644)
	ref := waitFor[BrowserRefresh](t, h, nil)
	if len(ref.Paths) != 1 || ref.Paths[0] != "static/css/app.css" || !ref.CSS || ref.Source != "assets" {
		t.Errorf("refresh %+v, want static/css/app.css as css from assets", ref)
	}
	os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n"), 0o644)
	sw := waitFor[Swapped](t, h, func(e Swapped) bool { return e.Gen > 1 })
	if sw.Gen != 2 || !strings.HasSuffix(sw.Change, "main.go") {
		t.Errorf("swap %+v, want gen 2 for main.go: the asset started none", sw)
	}
}

// assets split off a batch: the rest still builds, and a mix is no CSS.
func TestSplitAssets(t *testing.T) {
	t.Parallel()
	var got []Event
	s := &Supervisor{cfg: Config{OnEvent: func(ev Event) { got = append(got, ev) }}, log: slog.New(slog.DiscardHandler)}
	s.assets = newAssetFilter("/r", []string{"./web/**"})
	b := s.splitAssets(watcher.Batch{Paths: []string{"/r/web/a.css", "/r/main.go", "/r/web/t/x.html"}, Count: 3})
	if b.Count != 1 || b.Paths[0] != "/r/main.go" {
		t.Errorf("left %+v, want main.go", b)
	}
	want := BrowserRefresh{Paths: []string{"web/a.css", "web/t/x.html"}, Source: "assets"}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("events %+v, want %+v", got, want)
	}
	if b := s.splitAssets(watcher.Batch{Paths: []string{"/r/web/a.css"}, Count: 1}); b.Count != 0 {
		t.Errorf("only assets: %+v left to build", b)
	}
	for dir, keep := range map[string]bool{"/r/web": true, "/r/web/t": true, "/r/other": false, "/r": true} {
		if got := newAssetFilter("/r", []string{"web/*.css"}).keepDir(dir); got != keep && dir != "/r" {
			t.Errorf("keepDir(%s) = %v, want %v", dir, got, keep)
		}
	}
}

// A new child that fails to start hands its last 40 lines to StartFailed
// (under live reload, once its output is read to the end).
func TestStartFailedCarriesLastLines(t *testing.T) {
	t.Parallel()
	h := newHarnessMode(t, config(func(c *Config) { c.Stderr, c.LiveReload = new(strings.Builder), true }), "graceful")
	h.waitReady()
	h.setMode("printexit")
	h.s.Reload("test")
	e := waitFor[StartFailed](t, h, nil)
	out := string(e.Output)
	if !strings.HasPrefix(out, "line 11 <b>\n") || !strings.HasSuffix(out, "line 50 <b>\n") || strings.Count(out, "\n") != tailLines {
		t.Errorf("output %q, want lines 11 to 50", out)
	}
}

func TestOutputTailCutsLongLines(t *testing.T) {
	t.Parallel()
	var tail outputTail
	tail.add([]byte(strings.Repeat("x", 3*tailLineMax) + "\n"))
	tail.add([]byte("last"))
	if got := string(tail.bytes()); got != strings.Repeat("x", tailLineMax)+"\nlast\n" {
		t.Errorf("tail %d bytes: %.40q...", len(got), got)
	}
}

// A br page is decoded (github.com/andybalholm/brotli), gets the script,
// and goes out uncompressed.
func TestLiveReloadDecodesBrotli(t *testing.T) {
	t.Parallel()
	s := &Supervisor{cfg: Config{EditorURL: DefaultEditorURL}, log: slog.New(slog.DiscardHandler)}
	l := newLiveReload(s)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "br")
		bw := brotli.NewWriter(w)
		io.WriteString(bw, "<html><body>brotli page</body></html>")
		bw.Close()
	})
	srv := httptest.NewServer(l.handler(app))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept-Encoding", "br")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" || !strings.Contains(string(body), "brotli page<script src=\"/__reloader/client.js\" data-reloader") {
		t.Errorf("Content-Encoding %q, body %q", res.Header.Get("Content-Encoding"), body)
	}
}

// An app that crashes at start-up with nothing serving: a browser's page
// request gets an HTML 502 with the script, and the stream replays the
// crash with the app's last lines, so the overlay shows and the page
// reloads at the next swap.
func TestLiveReloadCrashAtStartUp(t *testing.T) {
	t.Parallel()
	h := newHarnessMode(t, config(func(c *Config) {
		c.LiveReload, c.ProxyHold, c.Stderr = true, 50*time.Millisecond, new(strings.Builder)
	}), "printexit")
	waitFor[StartFailed](t, h, nil)
	req, _ := http.NewRequest("GET", h.url, nil)
	req.Header.Set("Accept", "text/html,*/*")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), `<script src="/__reloader/client.js" data-reloader`) {
		t.Errorf("page: %d %q, want a 502 page with the script", res.StatusCode, body)
	}
	names, lines := streamNames(t, h.url+"__reloader/events", 2, func() {})
	if strings.Join(names, ",") != "hello,crashed" || !strings.Contains(strings.Join(lines, "\n"), `line 50 \u003cb\u003e`) {
		t.Errorf("stream %v:\n%s", names, strings.Join(lines, "\n"))
	}
}
