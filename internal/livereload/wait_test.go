package livereload

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Wait returns when the generation waited for serves, when its start is
// given up (also if that came first), at once for an id of another run,
// and after max at the latest.
func TestHubWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHub(0)
		id := func(gen int) string { return h.run + "." + strconv.Itoa(gen) }
		wait := func(id string) <-chan struct{} {
			done := make(chan struct{})
			go func() { h.Wait(context.Background(), id, time.Minute); close(done) }()
			return done
		}
		returned := func(c <-chan struct{}) bool {
			synctest.Wait()
			select {
			case <-c:
				return true
			default:
				return false
			}
		}

		w := wait(id(2))
		if returned(w) {
			t.Fatal("Wait for gen 2 returned at gen 0")
		}
		h.Swapped(1)
		if returned(w) {
			t.Fatal("Wait for gen 2 returned when gen 1 served")
		}
		h.Swapped(2)
		if !returned(w) {
			t.Fatal("Wait for gen 2 still waits once gen 2 serves")
		}

		h.Starting(3)
		w = wait(id(3))
		if returned(w) {
			t.Fatal("Wait for gen 3 returned while it starts")
		}
		h.GiveUp(3)
		if !returned(w) {
			t.Fatal("Wait for gen 3 still waits after its start was given up")
		}
		if !returned(wait(id(3))) {
			t.Fatal("a Wait for gen 3 that came after its start was given up waits")
		}
		h.Starting(4)
		h.GiveUp(0) // the app crashed
		if !returned(wait(id(4))) {
			t.Fatal("a Wait for gen 4 waits after every start was given up")
		}

		if !returned(wait("0123456789ab.9")) || !returned(wait("garbage")) {
			t.Fatal("Wait for an id of another run, or none, did not return at once")
		}

		w = wait(id(5))
		time.Sleep(time.Minute)
		if !returned(w) {
			t.Fatal("Wait still waits after max")
		}
	})
}

// A page request that carries WaitCookie (a page reloading on a starting
// event) is held until that generation serves; the app never sees the
// cookie, the browser's other cookies pass, and the answer removes it.
func TestPageHeldUntilGenerationServes(t *testing.T) {
	t.Parallel()
	cookies := make(chan string, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies <- r.Header.Get("Cookie")
		io.WriteString(w, "page")
	})
	srv, s, _ := front(t, app, Options{})
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Cookie", "session=abc; "+WaitCookie+"="+s.Hub.run+".1; theme=dark")
	type answer struct {
		res *http.Response
		err error
	}
	got := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		got <- answer{res, err}
	}()
	select {
	case c := <-cookies:
		t.Fatalf("the app was asked before generation 1 served (cookie %q)", c)
	case <-time.After(100 * time.Millisecond):
	}
	s.Hub.Swapped(1)
	a := <-got
	if a.err != nil {
		t.Fatal(a.err)
	}
	defer a.res.Body.Close()
	if c := <-cookies; strings.Contains(c, WaitCookie) || !strings.Contains(c, "session=abc") || !strings.Contains(c, "theme=dark") {
		t.Errorf("the app got Cookie %q; want session and theme, without %s", c, WaitCookie)
	}
	if sc := a.res.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, WaitCookie+"=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("Set-Cookie %q, want %s removed", sc, WaitCookie)
	}
}
