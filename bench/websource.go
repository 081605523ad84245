//go:build linux

package main

// webServer is the page of the save-to-browser scenario: about 150 ms of
// init, then an HTML page showing the version, which records in the page
// when the version reached the DOM (window.shownAt, ms since the epoch)
// and counts its loads in sessionStorage. It binds 127.0.0.1:$PORT (a
// proxy's private port: reloader --live-reload) or $ADDR (air's app_port),
// prints the address, sends READY=1 when it can, and serves /ping (text)
// for the proxy overhead.
const webServer = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

const version = "v0"

const page = ` + "`" + `<!doctype html>
<html><head><meta charset="utf-8"><title>bench</title></head>
<body><h1 id="version">version=%s</h1>
<script>
window.shownAt = Date.now();
sessionStorage.setItem("loads", +(sessionStorage.getItem("loads") || 0) + 1);
</script>
</body></html>
` + "`" + `

func main() {
	time.Sleep(150 * time.Millisecond) // init: config, database pools, caches
	addr := os.Getenv("ADDR")
	if p := os.Getenv("PORT"); p != "" {
		addr = "127.0.0.1:" + p
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
	fmt.Printf("server %s listening on %s\n", version, ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, version)
	})
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "version=%s pid=%d\n", version, os.Getpid())
	})
	notifyReady()
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

` + notifyReadySrc

// airProxyConfig is airConfig with air's own live-reload proxy on
// proxyPort in front of the app on appPort.
func airProxyConfig(proxyPort, appPort string) string {
	return airConfig + "\n[proxy]\nenabled = true\nproxy_port = " + proxyPort + "\napp_port = " + appPort + "\n"
}
