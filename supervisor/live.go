package supervisor

import (
	"io"
	"net/http"

	"github.com/andybalholm/brotli"

	"github.com/reloader-dev/reloader/internal/livereload"
)

// liveReload is the supervisor's side of Config.LiveReload: the proxy's
// handler serves /__reloader/ and puts the script into pages, and every
// event the supervisor emits that a browser follows goes to its hub.
type liveReload struct {
	srv    *livereload.Server
	dir    string // where builds run: compiler paths are relative to it
	editor string // Config.EditorURL
}

func newLiveReload(s *Supervisor) *liveReload {
	return &liveReload{
		dir:    s.dir,
		editor: s.cfg.EditorURL,
		srv: livereload.New(livereload.Options{
			Logger: s.log,
			Decoders: map[string]livereload.Decoder{
				"br": func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
			},
			OnNotify: func(kind string, paths []string) {
				s.emit(BrowserRefresh{Paths: paths, CSS: kind == livereload.EvCSS, Source: "notify"})
			},
		}),
	}
}

// handler wraps the proxy's handler.
func (l *liveReload) handler(app http.Handler) http.Handler { return l.srv.Handler(app) }

// crashData is the payload of a crashed event.
type crashData struct {
	Status string            `json:"status"`
	Parts  []livereload.Part `json:"parts"`
}

// publish maps a supervisor event to what browsers are told; emit calls
// it, one event at a time. ChildStarted makes pages reload at once, their
// requests held by the hub until that generation serves (Swapped, which
// comes after the promotion) or will not (StartFailed, Crashed).
func (l *liveReload) publish(ev Event) {
	h := l.srv.Hub
	switch e := ev.(type) {
	case Building:
		h.Send(livereload.EvBuilding, map[string]any{"gen": e.Gen, "change": e.Change}, true)
	case BuildFailed:
		out := string(e.Output)
		if out == "" && e.Err != nil {
			out = e.Err.Error()
		}
		h.Send(livereload.EvBuildFailed, map[string]any{"gen": e.Gen, "parts": livereload.Locate(out, l.dir, l.editor)}, true)
	case ChildStarted:
		h.Starting(e.Gen)
	case Swapped:
		h.Swapped(e.Gen)
	case Crashed:
		h.GiveUp(0)
		h.Send(livereload.EvCrashed, crashData{Status: e.Status, Parts: livereload.Locate(string(e.Output), l.dir, l.editor)}, true)
	case StartFailed:
		h.GiveUp(e.Gen)
		status := ""
		if e.Err != nil {
			status = e.Err.Error()
		}
		h.Send(livereload.EvCrashed, crashData{Status: status, Parts: livereload.Locate(string(e.Output), l.dir, l.editor)}, true)
	case BrowserRefresh:
		name := livereload.EvReload
		if e.CSS {
			name = livereload.EvCSS
		}
		h.Send(name, map[string]any{"paths": e.Paths, "source": e.Source}, false)
	}
}
