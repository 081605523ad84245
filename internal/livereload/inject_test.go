package livereload

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a log destination safe for the proxy's goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.FieldsFunc(l.b.String(), func(r rune) bool { return r == '\n' })
}

// front serves app behind a real reverse proxy wrapped by a live-reload
// Server, as the supervisor's proxy does, on 127.0.0.1.
func front(t *testing.T, app http.Handler, o Options) (*httptest.Server, *Server, *lockedBuf) {
	t.Helper()
	backend := httptest.NewServer(app)
	t.Cleanup(backend.Close)
	u, _ := url.Parse(backend.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	logs := &lockedBuf{}
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s := New(o)
	srv := httptest.NewServer(s.Handler(rp))
	t.Cleanup(srv.Close)
	return srv, s, logs
}

// rawClient does not ask for or decode compression itself.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func gunzip(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }

const page = "<!doctype html><html><body><h1>hi</h1></BODY></html>"

func TestInjection(t *testing.T) {
	t.Parallel()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR</body>")
	big := strings.Repeat("x", DefaultMaxBody) + "</body>"
	type resp struct {
		ctype, enc, csp string
		status          int
		body            []byte
	}
	cases := []struct {
		name     string
		resp     resp
		method   string
		reqHdr   map[string]string
		decoders map[string]Decoder
		inject   bool   // the script goes in
		nonce    string // and carries this nonce
		logs     int    // lines logged
	}{
		{name: "html", resp: resp{ctype: "text/html; charset=utf-8", body: []byte(page)}, inject: true},
		{name: "html without body tag", resp: resp{ctype: "text/html", body: []byte("<p>bare")}, inject: true},
		{name: "error page", resp: resp{ctype: "text/html", status: 500, body: []byte(page)}, inject: true},
		{name: "sec-fetch-dest document", resp: resp{ctype: "text/html", body: []byte(page)}, reqHdr: map[string]string{"Sec-Fetch-Dest": "document"}, inject: true},
		{name: "sec-fetch-dest iframe", resp: resp{ctype: "text/html", body: []byte(page)}, reqHdr: map[string]string{"Sec-Fetch-Dest": "iframe"}},
		{name: "fetch of html", resp: resp{ctype: "text/html", body: []byte(page)}, reqHdr: map[string]string{"Sec-Fetch-Dest": "empty"}},
		{name: "gzip", resp: resp{ctype: "text/html", enc: "gzip", body: gz(t, page)}, reqHdr: map[string]string{"Accept-Encoding": "gzip"}, inject: true},
		{name: "br decoded", resp: resp{ctype: "text/html", enc: "br", body: gz(t, page)}, decoders: map[string]Decoder{"br": gunzip}, inject: true},
		{name: "br without decoder", resp: resp{ctype: "text/html", enc: "br", body: []byte("\x1b\x03opaque")}, logs: 1},
		{name: "bad gzip", resp: resp{ctype: "text/html", enc: "gzip", body: []byte("not gzip")}, reqHdr: map[string]string{"Accept-Encoding": "gzip"}, logs: 1},
		{name: "csp nonce", resp: resp{ctype: "text/html", csp: "default-src 'self'; script-src 'nonce-r4nd0m' 'strict-dynamic'", body: []byte(page)}, inject: true, nonce: "r4nd0m"},
		{name: "csp self", resp: resp{ctype: "text/html", csp: "script-src 'self'", body: []byte(page)}, inject: true},
		{name: "csp forbids script", resp: resp{ctype: "text/html", csp: "script-src https://cdn.example", body: []byte(page)}, logs: 1},
		{name: "csp forbids connect", resp: resp{ctype: "text/html", csp: "script-src 'self'; connect-src 'none'", body: []byte(page)}, logs: 1},
		{name: "over 8 MiB", resp: resp{ctype: "text/html", body: []byte(big)}, logs: 1},
		{name: "json", resp: resp{ctype: "application/json", body: []byte(`{"html":"</body>"}`)}},
		{name: "image", resp: resp{ctype: "image/png", body: png}},
		{name: "head", resp: resp{ctype: "text/html", body: []byte(page)}, method: http.MethodHead},
		{name: "range", resp: resp{ctype: "text/html", status: 206, body: []byte(page[:10])}, reqHdr: map[string]string{"Range": "bytes=0-9"}},
		{name: "not modified", resp: resp{ctype: "text/html", status: 304}, reqHdr: map[string]string{"If-None-Match": `"v1"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Content-Type", c.resp.ctype)
				h.Set("ETag", `"v1"`)
				h.Set("X-App", "yes")
				if c.resp.enc != "" {
					h.Set("Content-Encoding", c.resp.enc)
				}
				if c.resp.csp != "" {
					h.Set("Content-Security-Policy", c.resp.csp)
				}
				if c.resp.status != 304 {
					h.Set("Content-Length", fmt.Sprint(len(c.resp.body)))
				}
				w.WriteHeader(cmp.Or(c.resp.status, 200))
				if r.Method != http.MethodHead {
					w.Write(c.resp.body)
				}
			})
			srv, s, logs := front(t, app, Options{Decoders: c.decoders})
			req, _ := http.NewRequest(cmp.Or(c.method, http.MethodGet), srv.URL+"/p", nil)
			for k, v := range c.reqHdr {
				req.Header.Set(k, v)
			}
			res, err := rawClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != cmp.Or(c.resp.status, 200) {
				t.Errorf("status %d, want %d", res.StatusCode, cmp.Or(c.resp.status, 200))
			}
			if res.Header.Get("X-App") != "yes" || res.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("headers changed: %v", res.Header)
			}
			if c.inject {
				tag := string(ScriptTag(s.Hub.ID(), c.nonce))
				if !strings.Contains(string(got), tag) {
					t.Fatalf("no %s in %.200q", tag, got)
				}
				if strings.Contains(page, "</BODY>") && strings.Contains(string(got), "</BODY>") && !strings.Contains(string(got), tag+"</BODY>") {
					t.Errorf("script not right before </BODY>: %q", got)
				}
				if res.Header.Get("Content-Encoding") != "" || res.Header.Get("ETag") != "" {
					t.Errorf("Content-Encoding %q, ETag %q after injection; want none", res.Header.Get("Content-Encoding"), res.Header.Get("ETag"))
				}
				if res.ContentLength != int64(len(got)) {
					t.Errorf("Content-Length %d, body %d bytes", res.ContentLength, len(got))
				}
			} else {
				want := c.resp.body
				if c.method == http.MethodHead || c.resp.status == 304 {
					want = nil
				}
				if !bytes.Equal(got, want) {
					t.Errorf("body changed: got %.200q, want %.200q", got, want)
				}
				if c.resp.status != 304 && res.Header.Get("ETag") != `"v1"` {
					t.Errorf("ETag %q dropped from an untouched response", res.Header.Get("ETag"))
				}
				if c.method == http.MethodHead && res.ContentLength != int64(len(c.resp.body)) {
					t.Errorf("HEAD Content-Length %d, want %d", res.ContentLength, len(c.resp.body))
				}
			}
			if l := logs.lines(); len(l) != c.logs {
				t.Errorf("logged %d lines, want %d: %q", len(l), c.logs, l)
			}
		})
	}
}

// An HTML page written in pieces without a Content-Length is held whole,
// and one that grows over the limit is sent on untouched.
func TestStreamedHTMLOverLimit(t *testing.T) {
	t.Parallel()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for range 3 {
			io.WriteString(w, strings.Repeat("y", 600))
			http.NewResponseController(w).Flush()
		}
		io.WriteString(w, "</body>")
	})
	srv, _, logs := front(t, app, Options{MaxBody: 1000})
	res, err := rawClient.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := strings.Repeat("y", 1800) + "</body>"; string(got) != want {
		t.Errorf("got %d bytes %.60q..., want the app's %d untouched", len(got), got, len(want))
	}
	if l := logs.lines(); len(l) != 1 || !strings.Contains(l[0], "over the limit") {
		t.Errorf("logs %q, want one line about the limit", l)
	}
}

// The app's own event stream reaches the client event by event, each
// before the app writes the next.
func TestAppEventStreamUnbuffered(t *testing.T) {
	t.Parallel()
	next := make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	})
	srv, _, _ := front(t, app, Options{})
	req, _ := http.NewRequest("GET", srv.URL+"/stream", nil)
	req.Header.Set("Accept", "text/event-stream")
	// A buffered stream fails here instead of hanging the test.
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("event %d: %q, %v", i, line, err)
		}
		br.ReadString('\n')
		next <- struct{}{} // the app writes the next only now
	}
}

// An upgraded connection (a websocket) passes through both ways.
func TestUpgradePassesThrough(t *testing.T) {
	t.Parallel()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want Upgrade: echo", 400)
			return
		}
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "echo")
		w.WriteHeader(http.StatusSwitchingProtocols)
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.Flush()
		io.Copy(c, brw)
	})
	srv, _, _ := front(t, app, Options{})
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\nSec-Fetch-Dest: document\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	io.WriteString(c, "ping</body>")
	buf := make([]byte, len("ping</body>"))
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping</body>" {
		t.Fatalf("echo %q, %v", buf, err)
	}
}

// Paths under the prefix are reloader's: never forwarded to the app.
func TestReservedPrefix(t *testing.T) {
	t.Parallel()
	var hits sync.Map
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Store(r.URL.Path, true) })
	srv, _, _ := front(t, app, Options{})
	for path, want := range map[string]int{"/__reloader/nope": 404, "/__reloader/": 404, "/__reloader/client.js": 200, "/__reloader/notify": 405} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
		if path == ClientPath && !bytes.Equal(b, clientJS) {
			t.Errorf("client.js is not the embedded script")
		}
		if _, ok := hits.Load(path); ok {
			t.Errorf("%s reached the app", path)
		}
	}
}

func TestNotify(t *testing.T) {
	t.Parallel()
	got := make(chan NotifyRequest, 1)
	srv, _, _ := front(t, http.NotFoundHandler(), Options{OnNotify: func(kind string, paths []string) { got <- NotifyRequest{kind, paths} }})
	res, err := http.Post(srv.URL+NotifyPath, "application/json", strings.NewReader(`{"kind":"css","paths":["static/app.css"]}`))
	if err != nil || res.StatusCode != 204 {
		t.Fatalf("notify: %v %v", res, err)
	}
	if r := <-got; r.Kind != "css" || len(r.Paths) != 1 || r.Paths[0] != "static/app.css" {
		t.Errorf("OnNotify got %+v", r)
	}
	res, _ = http.Post(srv.URL+NotifyPath, "application/json", strings.NewReader(`{"kind":"explode"}`))
	if res.StatusCode != 400 {
		t.Errorf("bad kind: %d, want 400", res.StatusCode)
	}
	// A peer that is not loopback is refused.
	s := New(Options{OnNotify: func(string, []string) { t.Error("notified from a remote peer") }})
	req := httptest.NewRequest("POST", NotifyPath, strings.NewReader(`{"kind":"reload"}`))
	req.RemoteAddr = "192.0.2.7:5555"
	w := httptest.NewRecorder()
	s.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("remote peer: %d, want 403", w.Code)
	}
}
