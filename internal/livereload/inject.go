package livereload

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// DefaultMaxBody is the largest HTML body the script is put into: a larger
// one passes through untouched (one log line).
const DefaultMaxBody = 8 << 20

// A Decoder decodes a Content-Encoding; gzip is built in.
type Decoder func(io.Reader) (io.Reader, error)

// injector puts the script tag into the HTML documents next serves.
type injector struct {
	log      *slog.Logger
	maxBody  int
	decoders map[string]Decoder
	id       func() string // the serving generation's id, read before the request goes on
}

// wrap returns next with the injection: only GET and POST requests for a
// document (Sec-Fetch-Dest: document when sent), without Range or Upgrade,
// are looked at; everything else reaches next with the original writer.
func (in *injector) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsDocument(r) {
			next.ServeHTTP(w, r)
			return
		}
		iw := &injectWriter{w: w, in: in, r: r, id: in.id()}
		next.ServeHTTP(iw, r)
		iw.finish()
	})
}

func wantsDocument(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return false
	}
	if r.Header.Get("Range") != "" || r.Header.Get("Upgrade") != "" {
		return false
	}
	dest := r.Header.Get("Sec-Fetch-Dest")
	return dest == "" || dest == "document"
}

const (
	undecided = iota
	passing   // headers and body go through as the app wrote them
	buffering // an HTML body held for the script
)

// injectWriter decides at the response's header whether to inject; until
// it does, nothing is written.
type injectWriter struct {
	w      http.ResponseWriter
	in     *injector
	r      *http.Request
	id     string
	mode   int
	status int
	nonce  string
	buf    bytes.Buffer
}

func (iw *injectWriter) Header() http.Header         { return iw.w.Header() }
func (iw *injectWriter) Unwrap() http.ResponseWriter { return iw.w }

func (iw *injectWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 { // 1xx: informational, the final header follows
		iw.w.WriteHeader(code)
		return
	}
	if iw.mode != undecided {
		return
	}
	iw.status = code
	if iw.decide(code) {
		iw.mode = buffering
		return
	}
	iw.mode = passing
	iw.w.WriteHeader(code)
}

// decide reports whether the response is an HTML document the script may
// go into.
func (iw *injectWriter) decide(code int) bool {
	switch code {
	case http.StatusNoContent, http.StatusPartialContent, http.StatusNotModified:
		return false
	}
	h := iw.w.Header()
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "text/html" {
		return false
	}
	if cl, err := strconv.Atoi(h.Get("Content-Length")); err == nil && cl > iw.in.maxBody {
		iw.tooBig()
		return false
	}
	switch enc := strings.ToLower(h.Get("Content-Encoding")); enc {
	case "", "identity", "gzip":
	default:
		if iw.in.decoders[enc] == nil {
			iw.in.log.Warn("live reload: page left alone: its Content-Encoding cannot be decoded here", "path", iw.r.URL.Path, "content_encoding", enc)
			return false
		}
	}
	nonce, ok, why := cspVerdict(headerPolicies(h.Values("Content-Security-Policy")))
	if !ok {
		iw.cspForbids(why, false)
		return false
	}
	iw.nonce = nonce
	return true
}

// cspForbids logs that the page's policies forbid the script; inMeta when
// a <meta> policy takes part.
func (iw *injectWriter) cspForbids(why string, inMeta bool) {
	iw.in.log.Warn("live reload: page left alone: its Content-Security-Policy forbids reloader's script", "path", iw.r.URL.Path, "why", why, "meta", inMeta)
}

func (iw *injectWriter) tooBig() {
	iw.in.log.Warn("live reload: page left alone: HTML body over the limit", "path", iw.r.URL.Path, "limit_bytes", iw.in.maxBody)
}

func (iw *injectWriter) Write(p []byte) (int, error) {
	if iw.mode == undecided {
		iw.WriteHeader(http.StatusOK)
	}
	if iw.mode == passing {
		return iw.w.Write(p)
	}
	if iw.buf.Len()+len(p) > iw.in.maxBody {
		iw.tooBig()
		iw.mode = passing
		iw.w.WriteHeader(iw.status)
		if _, err := iw.w.Write(iw.buf.Bytes()); err != nil {
			return 0, err
		}
		iw.buf = bytes.Buffer{}
		return iw.w.Write(p)
	}
	return iw.buf.Write(p)
}

// Flush passes a flush on; an HTML body being held is not flushed.
func (iw *injectWriter) Flush() {
	if iw.mode == passing {
		http.NewResponseController(iw.w).Flush()
	}
}

// finish writes a held body with the script in it.
func (iw *injectWriter) finish() {
	if iw.mode != buffering {
		return
	}
	h := iw.w.Header()
	body := iw.buf.Bytes()
	enc := strings.ToLower(h.Get("Content-Encoding"))
	if enc != "" && enc != "identity" {
		plain, err := iw.decode(enc, body)
		if err != nil {
			iw.in.log.Warn("live reload: page left alone: cannot decode it", "path", iw.r.URL.Path, "content_encoding", enc, "err", err)
			iw.w.WriteHeader(iw.status)
			iw.w.Write(body)
			return
		}
		if len(plain) > iw.in.maxBody {
			iw.tooBig()
			iw.w.WriteHeader(iw.status)
			iw.w.Write(body)
			return
		}
		body = plain
	}
	at := injectAt(body)
	nonce := iw.nonce
	if metas := metaPolicies(body[:at]); metas != nil {
		var ok bool
		var why string
		nonce, ok, why = cspVerdict(append(headerPolicies(h.Values("Content-Security-Policy")), metas...))
		if !ok {
			iw.cspForbids(why, true)
			iw.w.WriteHeader(iw.status)
			iw.w.Write(iw.buf.Bytes())
			return
		}
	}
	if enc != "" && enc != "identity" {
		h.Del("Content-Encoding")
	}
	out := insert(body, at, ScriptTag(iw.id, nonce))
	h.Set("Content-Length", strconv.Itoa(len(out)))
	h.Del("ETag") // the body is not the one the app's tag names
	iw.w.WriteHeader(iw.status)
	iw.w.Write(out)
}

func (iw *injectWriter) decode(enc string, body []byte) ([]byte, error) {
	var r io.Reader
	var err error
	if enc == "gzip" {
		r, err = gzip.NewReader(bytes.NewReader(body))
	} else {
		r, err = iw.in.decoders[enc](bytes.NewReader(body))
	}
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, int64(iw.in.maxBody)+1))
}

// ScriptTag is the element put into pages: the script from ClientPath,
// with the generation id the page came from and the page's CSP nonce
// ("" for none).
func ScriptTag(id, nonce string) []byte {
	var b strings.Builder
	b.WriteString(`<script src="` + ClientPath + `" data-reloader data-gen="` + html.EscapeString(id) + `"`)
	if nonce != "" {
		b.WriteString(` nonce="` + html.EscapeString(nonce) + `"`)
	}
	b.WriteString(`></script>`)
	return []byte(b.String())
}

// Inject returns page with tag before its last </body>, or at its end when
// it has none.
func Inject(page, tag []byte) []byte {
	return insert(page, injectAt(page), tag)
}

// injectAt is where Inject puts the tag: the index of page's last </body>,
// or len(page).
func injectAt(page []byte) int {
	if i := lastIndexFold(page, []byte("</body")); i >= 0 {
		return i
	}
	return len(page)
}

func insert(page []byte, at int, tag []byte) []byte {
	out := make([]byte, 0, len(page)+len(tag))
	out = append(out, page[:at]...)
	out = append(out, tag...)
	return append(out, page[at:]...)
}

// lastIndexFold is bytes.LastIndex for an ASCII sep, ignoring case.
func lastIndexFold(s, sep []byte) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		if bytes.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
	}
	return -1
}
