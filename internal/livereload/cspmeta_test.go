package livereload

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// metaPage is a document whose head holds extra.
func metaPage(extra string) string {
	return "<!DOCTYPE html>\n<html><head><meta charset=utf-8>" + extra + "<title>t</title></head>\n<body><h1>hi</h1></body></html>"
}

const metaNonce = `<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'nonce-m3ta'">`

// A Content-Security-Policy given in a <meta> in the head counts with the
// header's: its nonce goes on the script, and when it (or a disagreement
// with the header) forbids the script, the page is left byte for byte
// alone with one log line.
func TestInjectionMetaCSP(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		header string // Content-Security-Policy header
		body   string
		gzip   bool
		inject bool   // the script goes in
		nonce  string // and carries this nonce
	}{
		{name: "meta nonce", body: metaPage(metaNonce), inject: true, nonce: "m3ta"},
		{name: "meta nonce, upper case, single quotes, attributes reversed", body: metaPage(`<META CONTENT="script-src 'nonce-m3ta'" HTTP-EQUIV='content-security-policy'>`), inject: true, nonce: "m3ta"},
		{name: "meta nonce, &#39; quotes", body: metaPage(`<meta http-equiv=Content-Security-Policy content="script-src &#39;nonce-m3ta&#39;">`), inject: true, nonce: "m3ta"},
		{name: "meta nonce, &apos; quotes", body: metaPage(`<meta http-equiv="Content-Security-Policy" content='script-src &apos;nonce-m3ta&apos; &apos;strict-dynamic&apos;'>`), inject: true, nonce: "m3ta"},
		{name: "meta nonce, gzip", body: metaPage(metaNonce), gzip: true, inject: true, nonce: "m3ta"},
		{name: "meta script-src none", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src 'none'">`)},
		{name: "meta script-src other origin", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src https://cdn.example">`)},
		{name: "meta script-src &#39;none&#39;", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src &#39;none&#39;">`)},
		{name: "meta connect-src none", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="connect-src 'none'">`)},
		{name: "meta forbids, gzip", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src 'none'">`), gzip: true},
		{name: "header self, meta nonce", header: "script-src 'self'", body: metaPage(metaNonce), inject: true, nonce: "m3ta"},
		{name: "header nonce, meta self", header: "script-src 'nonce-h34d'", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src 'self'">`), inject: true, nonce: "h34d"},
		{name: "header and meta same nonce", header: "script-src 'nonce-m3ta'", body: metaPage(metaNonce), inject: true, nonce: "m3ta"},
		{name: "header and meta different nonces", header: "script-src 'nonce-h34d'", body: metaPage(metaNonce)},
		{name: "header self, meta other origin", header: "script-src 'self'", body: metaPage(`<meta http-equiv="Content-Security-Policy" content="script-src https://cdn.example">`)},
		{name: "two metas, different nonces", body: metaPage(metaNonce + `<meta http-equiv="Content-Security-Policy" content="script-src 'nonce-other'">`)},
		{name: "report-only meta ignored", body: metaPage(`<meta http-equiv="Content-Security-Policy-Report-Only" content="script-src 'none'">`), inject: true},
		{name: "report-only meta nonce ignored", body: metaPage(`<meta http-equiv="Content-Security-Policy-Report-Only" content="script-src 'nonce-m3ta'">`), inject: true},
		{name: "meta in body ignored", body: "<html><head></head><body><meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'\"><h1>hi</h1></body></html>", inject: true},
		{name: "meta in comment ignored", body: metaPage(`<!-- ` + metaNonce + ` -->`), inject: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(c.body)
			if c.gzip {
				body = gz(t, c.body)
			}
			app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				h.Set("Content-Type", "text/html")
				h.Set("ETag", `"v1"`)
				if c.gzip {
					h.Set("Content-Encoding", "gzip")
				}
				if c.header != "" {
					h.Set("Content-Security-Policy", c.header)
				}
				w.Write(body)
			})
			srv, s, logs := front(t, app, Options{})
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/p", nil)
			if c.gzip { // else the proxy's transport asks for gzip and decodes it itself
				req.Header.Set("Accept-Encoding", "gzip")
			}
			res, err := rawClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			l := logs.lines()
			if c.inject {
				tag := string(ScriptTag(s.Hub.ID(), c.nonce))
				if want := strings.Replace(c.body, "</body>", tag+"</body>", 1); string(got) != want {
					t.Errorf("got  %q\nwant %q", got, want)
				}
				if len(l) != 0 {
					t.Errorf("logged %q, want nothing", l)
				}
				return
			}
			if !bytes.Equal(got, body) {
				t.Errorf("body changed: got %q, want %q", got, body)
			}
			if res.Header.Get("ETag") != `"v1"` || c.gzip && res.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("headers changed: %v", res.Header)
			}
			if len(l) != 1 || !strings.Contains(l[0], "Content-Security-Policy forbids") || !strings.Contains(l[0], "meta=true") {
				t.Errorf("logged %q, want one line about the meta policy", l)
			}
		})
	}
}

// metaPolicies finds the policies a browser takes from the head's <meta>
// elements, and no others.
func TestMetaPolicies(t *testing.T) {
	t.Parallel()
	const csp = `<meta http-equiv="Content-Security-Policy" content="a">`
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"none", "<!doctype html><html><head><title>x</title></head><body></body>", nil},
		{"quotes, entities", `<meta http-equiv=content-security-policy content="a &quot;b&quot; &#39;c&#39; &apos;d&apos; &amp;">`, []string{`a "b" 'c' 'd' &`}},
		{"unquoted, self-closing", `<meta content=a http-equiv=Content-Security-Policy />`, []string{"a"}},
		{"spaces around =", "<meta\nhttp-equiv = \"Content-Security-Policy\"\tcontent =\t'a'>", []string{"a"}},
		{"> inside a value", `<meta http-equiv="Content-Security-Policy" content="a>b">` + csp, []string{"a>b", "a"}},
		{"first duplicate attribute", `<meta http-equiv="Content-Security-Policy" content="a" content="b">`, []string{"a"}},
		{"empty content", `<meta http-equiv="Content-Security-Policy" content="">`, nil},
		{"report-only", `<meta http-equiv="Content-Security-Policy-Report-Only" content="a">`, nil},
		{"other http-equiv", `<meta http-equiv="refresh" content="5">`, nil},
		{"BOM, doctype, comments", "\xef\xbb\xbf<!DOCTYPE html><!-- " + csp + " --><!--><!---><html><HEAD>" + csp, []string{"a"}},
		{"after </head>", "<html><head></head>\n" + csp + "<body>", []string{"a"}},
		{"after a script", "<head><script>if (a<b) document.write('<meta http-equiv=\"Content-Security-Policy\" content=\"x\">')</SCRIPT>" + csp, []string{"a"}},
		{"inside noscript, template, style, title", "<head><noscript>" + csp + "</noscript><template>" + csp + "</template><style>/*" + csp + "*/</style><title>" + csp + "</title><link rel=x>" + csp, []string{"a"}},
		{"after <body>", "<head></head><body>" + csp, nil},
		{"after a <div>", "<head><div>" + csp, nil},
		{"after text", "<head>hello " + csp, nil},
		{"unterminated", `<head><meta http-equiv="Content-Security-Policy" content="a`, nil},
	}
	for _, c := range cases {
		if got := metaPolicies([]byte(c.doc)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// BenchmarkInjectPage is the injection of a 40 KiB page without and with
// the <meta> policy scan, the baseline first, and the scan (with finding
// the injection point and the verdict) alone.
func BenchmarkInjectPage(b *testing.B) {
	head := `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
		`<title>A page</title>` + strings.Repeat(`<link rel="stylesheet" href="/static/app.css">`, 10) +
		`<script>` + strings.Repeat("var x = 1 < 2;\n", 50) + `</script>` + metaNonce + `</head>`
	page := []byte(head + "<body>" + strings.Repeat("<p>Lorem ipsum dolor sit amet.</p>\n", 1100) + "</body></html>")
	b.Run("baseline=inject", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			Inject(page, ScriptTag("g1", ""))
		}
	})
	b.Run("inject+meta", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			at := injectAt(page)
			nonce, _, _ := cspVerdict(metaPolicies(page[:at]))
			insert(page, at, ScriptTag("g1", nonce))
		}
	})
	b.Run("meta-scan-only", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			cspVerdict(metaPolicies(page[:injectAt(page)]))
		}
	})
}
