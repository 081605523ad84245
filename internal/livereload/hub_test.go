package livereload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// streamRecorder is a ResponseWriter whose body can be read while the
// handler still runs.
type streamRecorder struct {
	mu  sync.Mutex
	hdr http.Header
	buf strings.Builder
}

func (s *streamRecorder) Header() http.Header { return s.hdr }
func (s *streamRecorder) WriteHeader(int)     {}
func (s *streamRecorder) Flush()              {}
func (s *streamRecorder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}
func (s *streamRecorder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// connect starts a browser's stream with Last-Event-ID last ("" for
// none) and returns its recorder and a func that disconnects it.
func connect(h *Hub, last string) (*streamRecorder, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, "GET", EventsPath, nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	rec := &streamRecorder{hdr: http.Header{}}
	done := make(chan struct{})
	go func() { defer close(done); h.ServeHTTP(rec, req) }()
	return rec, func() { cancel(); <-done }
}

// names returns the event: names of a stream so far.
func names(stream string) []string {
	var out []string
	for _, l := range strings.Split(stream, "\n") {
		if n, ok := strings.CutPrefix(l, "event: "); ok {
			out = append(out, n)
		}
	}
	return out
}

func TestHubLastEventID(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		h.Swapped(3)
		cur := h.ID()
		other := NewHub(0) // another reloader run at the same generation
		other.Swapped(3)
		for _, c := range []struct {
			last string
			want string
		}{
			{"", "hello"},
			{cur, "hello"},
			{strings.TrimSuffix(cur, "3") + "2", "swapped,hello"}, // an older generation
			{other.ID(), "swapped,hello"},                         // another run
		} {
			rec, stop := connect(h, c.last)
			synctest.Wait()
			stop()
			if got := strings.Join(names(rec.String()), ","); got != c.want {
				t.Errorf("Last-Event-ID %q: events %s, want %s", c.last, got, c.want)
			}
			if !strings.Contains(rec.String(), "id: "+cur+"\n") {
				t.Errorf("Last-Event-ID %q: no id %s in %q", c.last, cur, rec.String())
			}
		}
		if h.Subscribers() != 0 {
			t.Errorf("%d subscribers left after disconnects", h.Subscribers())
		}
	})
}

func TestHubEventsAndStickyState(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		h.Swapped(1)
		rec, stop := connect(h, h.ID())
		defer stop()
		synctest.Wait()
		h.Send(EvBuilding, map[string]int{"gen": 2}, true)
		h.Send(EvBuildFailed, map[string]any{"parts": []Part{{Text: "<b>x</b>"}}}, true)
		synctest.Wait()
		// A page reloaded now sees the overlay again.
		late, stopLate := connect(h, h.ID())
		synctest.Wait()
		stopLate()
		if got := strings.Join(names(late.String()), ","); got != "hello,build-failed" {
			t.Errorf("late browser got %s, want hello,build-failed", got)
		}
		h.Swapped(3)
		synctest.Wait()
		if got := strings.Join(names(rec.String()), ","); got != "hello,building,build-failed,swapped" {
			t.Errorf("events %s", got)
		}
		if !strings.Contains(rec.String(), `"text":"\u003cb\u003ex\u003c/b\u003e"`) {
			t.Errorf("output not JSON-escaped: %q", rec.String())
		}
		after, stopAfter := connect(h, h.ID())
		synctest.Wait()
		stopAfter()
		if got := strings.Join(names(after.String()), ","); got != "hello" {
			t.Errorf("after the swap a browser got %s, want hello only", got)
		}
	})
}

func TestHubHeartbeat(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(15 * time.Second)
		rec, stop := connect(h, "")
		defer stop()
		synctest.Wait()
		time.Sleep(14 * time.Second)
		synctest.Wait()
		if strings.Contains(rec.String(), ": keep-alive") {
			t.Fatal("keep-alive before the interval")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if !strings.Contains(rec.String(), ": keep-alive") {
			t.Fatal("no keep-alive after the interval")
		}
	})
}

// A browser that does not read is dropped, not waited for; the others
// still get every event.
func TestHubDropsSlowBrowser(t *testing.T) {
	t.Parallel()
	h := NewHub(0)
	slow, _ := h.subscribe("")
	fast, stop := connect(h, "")
	defer stop()
	waitFor(t, func() bool { return h.Subscribers() == 2 })
	for i := range subBuffer + 1 {
		h.Send(EvCSS, nil, false)
		waitFor(t, func() bool { return len(names(fast.String())) == i+2 }) // hello and i+1
	}
	if _, ok := <-drain(slow); ok {
		t.Error("slow subscriber still open")
	}
	if h.Subscribers() != 1 {
		t.Errorf("%d subscribers, want the reading one", h.Subscribers())
	}
}

// waitFor polls cond, for a real stream's goroutine, failing after 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
	}
}

// drain empties c and returns it, to see whether it was closed.
func drain(c chan Event) chan Event {
	for {
		select {
		case _, ok := <-c:
			if !ok {
				closed := make(chan Event)
				close(closed)
				return closed
			}
		default:
			return c
		}
	}
}

// Close ends the open streams and refuses new ones, so a graceful
// shutdown does not wait for browsers.
func TestHubClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		done := make(chan struct{})
		go func() { // a browser that never goes away
			defer close(done)
			h.ServeHTTP(&streamRecorder{hdr: http.Header{}}, httptest.NewRequest("GET", EventsPath, nil))
		}()
		synctest.Wait()
		h.Close()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("stream still open after Close")
		}
		late, stopLate := connect(h, "")
		synctest.Wait()
		stopLate()
		if late.String() != "" || h.Subscribers() != 0 {
			t.Errorf("after Close: stream %q, %d subscribers", late.String(), h.Subscribers())
		}
	})
}
