// Package livereload is the browser side of reloader's live reload: a
// handler in front of the proxied app that puts a small script into HTML
// documents, serves that script and the Server-Sent Events stream it
// follows, and takes `reloader notify` requests. Everything it serves is
// under Prefix; the rest reaches the app unchanged but for the script
// tag. Standard library only: decoders beyond gzip come from the caller.
package livereload

import (
	_ "embed"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Paths reloader serves itself; nothing under Prefix reaches the app.
const (
	Prefix     = "/__reloader/"
	EventsPath = Prefix + "events"
	ClientPath = Prefix + "client.js"
	NotifyPath = Prefix + "notify"
)

//go:embed client.js
var clientJS []byte

// Options configure a Server.
type Options struct {
	// Logger receives the one line logged per page left alone. nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxBody is the largest HTML body, decoded, that gets the script. 0
	// means DefaultMaxBody.
	MaxBody int
	// Decoders decode Content-Encodings other than gzip, keyed by the
	// lower-case encoding ("br"). nil means gzip only: a page in another
	// encoding passes through without the script.
	Decoders map[string]Decoder
	// OnNotify is called for each accepted POST to NotifyPath, kind being
	// "reload" or "css". nil answers 503.
	OnNotify func(kind string, paths []string)
	// Heartbeat is the interval of the stream's keep-alive comments. 0
	// means 15s.
	Heartbeat time.Duration
}

// Server serves Prefix and injects the script into the pages of the
// handler it wraps.
type Server struct {
	Hub    *Hub
	inj    *injector
	notify func(kind string, paths []string)
	log    *slog.Logger
}

// New returns a Server with a Hub at generation 0.
func New(o Options) *Server {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	s := &Server{Hub: NewHub(o.Heartbeat), notify: o.OnNotify, log: log}
	s.inj = &injector{log: log, maxBody: o.MaxBody, decoders: o.Decoders, id: s.Hub.ID}
	return s
}

// Handler serves Prefix and passes every other request to app, with the
// script put into its HTML documents.
func (s *Server) Handler(app http.Handler) http.Handler {
	pages := s.inj.wrap(app)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, Prefix) {
			if c, err := r.Cookie(WaitCookie); err == nil {
				// A page reloading on a starting event: held until
				// the new generation serves, then answered by it.
				s.Hub.Wait(r.Context(), c.Value, waitMax)
				dropCookie(r, WaitCookie)
				w.Header().Add("Set-Cookie", WaitCookie+"=; Path=/; Max-Age=0; SameSite=Strict")
			}
			pages.ServeHTTP(w, r)
			return
		}
		switch r.URL.Path {
		case EventsPath:
			s.Hub.ServeHTTP(w, r)
		case ClientPath:
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(clientJS)
		case NotifyPath:
			s.serveNotify(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// NotifyRequest is the JSON body of a POST to NotifyPath.
type NotifyRequest struct {
	Kind  string   `json:"kind"` // "reload" or "css"
	Paths []string `json:"paths"`
}

func (s *Server) serveNotify(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST a JSON body {\"kind\":\"reload\"|\"css\",\"paths\":[...]}", http.StatusMethodNotAllowed)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "notify is accepted from loopback peers only", http.StatusForbidden)
		return
	}
	var req NotifyRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if req.Kind != EvReload && req.Kind != EvCSS {
		http.Error(w, "kind must be \"reload\" or \"css\", not "+req.Kind, http.StatusBadRequest)
		return
	}
	if s.notify == nil {
		http.Error(w, "notify is not served here", http.StatusServiceUnavailable)
		return
	}
	s.notify(req.Kind, req.Paths)
	w.WriteHeader(http.StatusNoContent)
}

// waitMax bounds how long a page request is held for a starting generation
// (Hub.Wait): a start slower than that is answered by the serving one, and
// the page reloads again on the swapped event.
const waitMax = 20 * time.Second

// dropCookie removes the cookie name from r, so the app never sees it.
func dropCookie(r *http.Request, name string) {
	cs := r.Cookies()
	r.Header.Del("Cookie")
	for _, c := range cs {
		if c.Name != name {
			r.AddCookie(c)
		}
	}
}
