package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An app that binds $PORT itself and dies at once on SIGTERM, swapped 10
// times under load behind the proxy: no request fails.
func TestProxyUnderLoad(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "portapp", nil, "--proxy")
	res := s.hups(10)
	t.Logf("proxy: 10 swaps: %v", res)
	if res.Failed() != 0 {
		t.Errorf("failed requests through the proxy: %v", res)
	}
	s.shutdown()
}

func TestProxyPassThrough(t *testing.T) {
	t.Parallel()
	s := startBinSession(t, "portapp", nil, "--proxy")

	// A 10 MB streamed response arrives intact.
	resp, err := http.Get(s.url + "big")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	want := sha256.New()
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	for i := 0; i < 160; i++ {
		want.Write(chunk)
	}
	if err != nil || n != 10<<20 || !bytes.Equal(h.Sum(nil), want.Sum(nil)) {
		t.Errorf("streamed response: %d bytes, err %v, digest match %v", n, err, bytes.Equal(h.Sum(nil), want.Sum(nil)))
	}

	// A websocket upgrade passes through and echoes.
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	wsResp, err := http.ReadResponse(br, nil)
	if err != nil || wsResp.StatusCode != http.StatusSwitchingProtocols || wsResp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("upgrade: %v %v", wsResp, err)
	}
	msg := strings.Repeat("ping ", 1000)
	io.WriteString(c, msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != msg {
		t.Errorf("websocket echo: %d bytes, %v", len(got), err)
	}
	s.shutdown()
}

// The same app without --proxy, built without instrumentation, binds the
// address reloader holds: reloader says so in one line and names both
// fixes. (Instrumented, its own listen would be handed a socket.)
func TestDetectsAnAppThatBindsTheHeldAddress(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	dir := newApp(t, "portapp")
	// A long ready delay: the app must fail to bind before it counts as
	// ready, however slowly it starts on a loaded machine.
	r := startReloader(t, dir, "-l", addr, "--env", "PORT="+port, "--ready-delay", "60s", "--no-instrument", "--", "go", "run", ".")
	a, _ := r.waitEvent(0, "address_in_use", buildWait)
	if a["level"] != "ERROR" || !strings.Contains(a["fix_listenfd"], "listenfd.Listen") || !strings.Contains(a["fix_proxy"], "--proxy") {
		t.Errorf("the detection line does not name both fixes: %v", a)
	}
	if code := r.stop(syscall.SIGINT); code != 0 {
		t.Errorf("exit %d", code)
	}
}
