package livereload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Browser event names, the `event:` field of the stream.
const (
	EvHello       = "hello"        // sent first on every connection
	EvBuilding    = "building"     // a build started: the badge shows
	EvBuildFailed = "build-failed" // the overlay with the compiler output
	EvSwapped     = "swapped"      // a new generation serves: reload
	EvCrashed     = "crashed"      // the overlay with the app's last lines
	EvCSS         = "css"          // swap stylesheets in place
	EvReload      = "reload"       // reload, same generation
	EvStarting    = "starting"     // a new generation started: reload now, held until it serves
)

// WaitCookie is the cookie the script sets before it reloads on a starting
// event: its value is the id of the generation the page waits for. The
// page request that carries it is held until that generation serves
// (Hub.Wait); the cookie is then removed, and never reaches the app.
const WaitCookie = "__reloader_wait"

// subBuffer is how many events a slow browser may lag behind before it is
// dropped; it reconnects with its Last-Event-ID and reloads if it missed a
// swap.
const subBuffer = 64

// An Event is one message of the stream; Data is encoded as JSON.
type Event struct {
	Name string
	ID   string
	Data any
}

// Hub fans the supervisor's events out to the browsers connected to
// /__reloader/events. Every event carries the serving generation as its
// id, "<run>.<gen>", where run is random per Hub (per reloader process):
// a browser that reconnects with another id missed a swap or a restart of
// reloader and is told to reload at once.
type Hub struct {
	run       string
	heartbeat time.Duration

	mu      sync.Mutex
	gen     int
	sticky  *Event // the building/build-failed/crashed state since the last swap; nil if none
	subs    map[chan Event]struct{}
	closed  bool
	changed chan struct{} // closed and replaced when gen, gaveUp or closed changes
	started int           // the newest generation Starting announced
	gaveUp  int           // generations up to this one will not serve (GiveUp)
}

// NewHub returns a hub at generation 0. heartbeat is the interval of the
// keep-alive comments; 0 means 15s.
func NewHub(heartbeat time.Duration) *Hub {
	var b [6]byte
	rand.Read(b[:])
	if heartbeat <= 0 {
		heartbeat = 15 * time.Second
	}
	return &Hub{run: hex.EncodeToString(b[:]), heartbeat: heartbeat, subs: map[chan Event]struct{}{}, changed: make(chan struct{})}
}

// ID returns the id of the serving generation, "<run>.<gen>".
func (h *Hub) ID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.idLocked()
}

func (h *Hub) idLocked() string { return h.run + "." + strconv.Itoa(h.gen) }

// Swapped records that generation gen serves and tells every browser to
// reload.
func (h *Hub) Swapped(gen int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen = gen
	h.sticky = nil
	h.sendLocked(Event{Name: EvSwapped, Data: map[string]int{"gen": gen}}, false)
	h.changedLocked()
}

// Starting tells every browser that generation gen has started and will
// serve once ready. The script reloads at once with WaitCookie set to
// gen's id, so the browser's unload and request overlap the app's start,
// and Wait holds the request until gen serves.
func (h *Hub) Starting(gen int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.started = max(h.started, gen)
	h.sendLocked(Event{Name: EvStarting, Data: map[string]string{"wait": h.run + "." + strconv.Itoa(gen)}}, false)
}

// GiveUp says that generation gen, and any before it, will not serve (its
// start failed); gen 0 means every generation started so far (the app
// crashed). The page requests Wait holds for them, and those that come
// later, are answered by the serving generation at once.
func (h *Hub) GiveUp(gen int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen <= 0 {
		gen = h.started
	}
	h.gaveUp = max(h.gaveUp, gen)
	h.changedLocked()
}

func (h *Hub) changedLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// Wait returns once the generation id names ("<run>.<gen>", a WaitCookie)
// serves or is given up, the hub is closed, ctx is done or max has
// passed. An id of another run (an earlier reloader) or one that does not
// parse returns at once.
func (h *Hub) Wait(ctx context.Context, id string, max time.Duration) {
	run, g, ok := strings.Cut(id, ".")
	gen, err := strconv.Atoi(g)
	if !ok || err != nil || run != h.run {
		return
	}
	t := time.NewTimer(max)
	defer t.Stop()
	h.mu.Lock()
	for h.gen < gen && h.gaveUp < gen && !h.closed {
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-t.C:
			return
		}
		h.mu.Lock()
	}
	h.mu.Unlock()
}

// Send sends an event to every browser. A sticky event (building,
// build-failed, crashed) is also replayed to browsers that connect before
// the next swap, so a reloaded page shows the overlay again.
func (h *Hub) Send(name string, data any, sticky bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sendLocked(Event{Name: name, Data: data}, sticky)
}

func (h *Hub) sendLocked(ev Event, sticky bool) {
	ev.ID = h.idLocked()
	if sticky {
		h.sticky = &ev
	}
	for c := range h.subs {
		select {
		case c <- ev:
		default: // too slow: drop it; it reconnects and catches up
			delete(h.subs, c)
			close(c)
		}
	}
}

// subscribe returns the channel of the events to come and the events to
// send first: a swapped event when last (the browser's Last-Event-ID) is
// not the serving generation's id, then hello, then the sticky state.
func (h *Hub) subscribe(last string) (chan Event, []Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan Event, subBuffer)
	if h.closed {
		close(c)
		return c, nil
	}
	h.subs[c] = struct{}{}
	id := h.idLocked()
	var first []Event
	if last != "" && last != id {
		first = append(first, Event{Name: EvSwapped, ID: id, Data: map[string]any{"gen": h.gen, "stale": last}})
	}
	first = append(first, Event{Name: EvHello, ID: id, Data: map[string]int{"gen": h.gen}})
	if h.sticky != nil {
		first = append(first, *h.sticky)
	}
	return c, first
}

func (h *Hub) unsubscribe(c chan Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[c]; ok {
		delete(h.subs, c)
		close(c)
	}
}

// Close ends every stream, and those that connect later at once, so that
// a server's graceful shutdown need not wait for browsers.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.subs {
		delete(h.subs, c)
		close(c)
	}
	h.changedLocked()
}

// Subscribers returns the number of connected browsers.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// ServeHTTP serves the event stream. The browser's Last-Event-ID header,
// or on a first connection the ?last= query the script sends (the id of
// the generation its page came from), decides whether it reloads at once.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last")
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	c, first := h.subscribe(last)
	defer h.unsubscribe(c)
	if first == nil {
		return // closed
	}
	for _, ev := range first {
		if writeEvent(w, ev) != nil {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	t := time.NewTicker(h.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-c:
			if !ok {
				return // dropped as too slow, or closed
			}
			if writeEvent(w, ev) != nil {
				return
			}
		case <-t.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// writeEvent writes ev in the text/event-stream format.
func writeEvent(w http.ResponseWriter, ev Event) error {
	data, err := json.Marshal(ev.Data)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("event: " + ev.Name + "\n")
	b.WriteString("id: " + ev.ID + "\n")
	b.WriteString("data: " + string(data) + "\n\n") // JSON has no raw newline
	_, err = w.Write([]byte(b.String()))
	return err
}
