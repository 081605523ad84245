package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// page GETs url and fails the test on an error.
func page(t *testing.T, url string) string {
	t.Helper()
	body, err := get(url)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// sseEvent is one event of /__reloader/events.
type sseEvent struct{ name, id, data string }

// followEvents opens the live-reload stream at base with ?last=id and
// returns its events as they come; the stream closes with the test.
func followEvents(t *testing.T, base, last string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"__reloader/events?last="+last, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[len("id: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return out
}

// nextEvent returns the next event of the stream, failing after timeout.
func nextEvent(t *testing.T, evs <-chan sseEvent, timeout time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-evs:
		if !ok {
			t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(timeout):
		t.Fatalf("no event within %v", timeout)
	}
	return sseEvent{}
}

var reGen = regexp.MustCompile(`data-reloader data-gen="([^"]+)"`)

// An edit under --live-reload: the page carries the script, the stream
// says building then swapped, and a page fetched right after swapped is
// the new version (the event comes after the promotion). reloader notify
// reaches the same stream.
func TestLiveReloadFollowsAnEdit(t *testing.T) {
	t.Parallel()
	s := newSession(t, newApp(t, "liveapp"))
	s.r = startReloader(t, s.dir, "-l", "web="+s.addr, "--live-reload", "--debounce", "20ms", "--", "go", "run", ".")
	s.r.waitEvent(0, "swapped", buildWait)

	first := page(t, s.url)
	m := reGen.FindStringSubmatch(first)
	if m == nil || !strings.Contains(first, "version=v1") || !strings.Contains(first, `<script src="/__reloader/client.js" data-reloader`) {
		t.Fatalf("page without the script or v1: %s", first)
	}
	evs := followEvents(t, s.url, m[1])
	if ev := nextEvent(t, evs, 10*time.Second); ev.name != "hello" || ev.id != m[1] {
		t.Fatalf("first event %+v, want hello with id %s", ev, m[1])
	}

	setVersion(t, s.dir, "v2")
	if ev := nextEvent(t, evs, 30*time.Second); ev.name != "building" {
		t.Fatalf("after the edit: %+v, want building", ev)
	}
	ev := nextEvent(t, evs, 2*time.Minute)
	for ev.name == "building" {
		// The editor's write came in two batches: the build started again
		// (a later generation).
		ev = nextEvent(t, evs, 2*time.Minute)
	}
	// The new generation started: pages reload at once and wait for it.
	if ev.name != "starting" {
		t.Fatalf("after the build: %+v, want starting", ev)
	}
	waitFor := ev.data
	ev = nextEvent(t, evs, 2*time.Minute)
	run, _, _ := strings.Cut(m[1], ".")
	if ev.name != "swapped" || ev.id == m[1] || !strings.HasPrefix(ev.id, run+".") || waitFor != `{"wait":"`+ev.id+`"}` {
		t.Fatalf("then %+v, want swapped with id %s.N, a later generation than %s, the one starting said (%s)", ev, run, m[1], waitFor)
	}
	if p := page(t, s.url); !strings.Contains(p, "version=v2") || !strings.Contains(p, `data-gen="`+ev.id+`"`) {
		t.Fatalf("page right after swapped: %s, want v2 from generation %s", p, ev.id)
	}

	// An old page's id (a missed swap) gets a swapped at once.
	if ev := nextEvent(t, followEvents(t, s.url, m[1]), 10*time.Second); ev.name != "swapped" {
		t.Errorf("a stream from generation 1's page starts with %+v, want swapped", ev)
	}

	out, err := exec.Command(reloaderBin, "notify", "--addr", s.addr, "css", "static/app.css").CombinedOutput()
	if err != nil {
		t.Fatalf("reloader notify: %v\n%s", err, out)
	}
	if ev := nextEvent(t, evs, 10*time.Second); ev.name != "css" || !strings.Contains(ev.data, `"static/app.css"`) || !strings.Contains(ev.data, `"notify"`) {
		t.Errorf("after notify: %+v, want css for static/app.css", ev)
	}
	s.r.waitEvent(0, "browser_refresh", 10*time.Second, "source=notify", "css=true")

	// Reserved paths never reach the app.
	res, err := http.Get(s.url + "__reloader/nothing")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/__reloader/nothing: %d, want 404", res.StatusCode)
	}
	s.shutdown()
}

// reloader notify names the address when nothing answers there.
func TestNotifyNothingAnswers(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	out, err := exec.Command(reloaderBin, "notify", "-l", addr, "reload").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "nothing answers at tcp "+addr) {
		t.Errorf("notify to a free port: %v\n%s", err, out)
	}
}
