package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"
)

// Behind --live-reload, JSON and image responses (whole, ranged, HEAD)
// are byte-identical to the app's own: same status, same headers (none
// added, none dropped; Date aside), same body. A Go client, no browser.
func TestLiveReloadNonHTMLUntouched(t *testing.T) {
	t.Parallel()
	s := startCheapSession(t, "webapp", liveFlags...)
	m, _ := s.r.waitLine(0, regexp.MustCompile(`webapp v1 listening on (127\.0\.0\.1:\d+)`), browserWait)
	direct := "http://" + m[1] + "/"
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	get := func(method, url string, h http.Header) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("%s %s: body: %v", method, url, err)
		}
		return resp, b
	}
	// A browser's headers, which would make an HTML page get the script.
	browser := http.Header{"Sec-Fetch-Dest": {"document"}, "Accept": {"text/html,*/*"}, "Accept-Encoding": {"gzip, br"}}
	cases := []struct {
		name, method, path string
		h                  http.Header
		status             int
	}{
		{"json", "GET", "api.json", browser, 200},
		{"png", "GET", "img.png", browser, 200},
		{"png range", "GET", "img.png", http.Header{"Range": {"bytes=10-99"}}, 206},
		{"png head", "HEAD", "img.png", nil, 200},
		{"png 304", "GET", "img.png", http.Header{"If-Modified-Since": {time.Unix(1700000000, 0).UTC().Format(http.TimeFormat)}}, 304},
	}
	for _, tc := range cases {
		want, wantBody := get(tc.method, direct+tc.path, tc.h.Clone())
		got, gotBody := get(tc.method, s.url+tc.path, tc.h.Clone())
		if want.StatusCode != tc.status {
			t.Fatalf("%s: the app itself answered %d, want %d", tc.name, want.StatusCode, tc.status)
		}
		if got.StatusCode != want.StatusCode {
			t.Errorf("%s: status through reloader %d, app %d", tc.name, got.StatusCode, want.StatusCode)
		}
		if !bytes.Equal(gotBody, wantBody) {
			t.Errorf("%s: body through reloader differs: %d bytes, app %d", tc.name, len(gotBody), len(wantBody))
		}
		got.Header.Del("Date")
		want.Header.Del("Date")
		for k, v := range want.Header {
			if !slices.Equal(got.Header[k], v) {
				t.Errorf("%s: header %s through reloader = %q, app %q", tc.name, k, got.Header[k], v)
			}
		}
		for k, v := range got.Header {
			if _, ok := want.Header[k]; !ok {
				t.Errorf("%s: reloader added header %s: %q", tc.name, k, v)
			}
		}
	}
}
