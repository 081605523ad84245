// An app with two listeners, the API and its metrics, each on its own port.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

const version = "v1"

func main() {
	metrics := http.NewServeMux()
	metrics.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "app_version{version=%q} 1\nversion=%s pid=%d\n", version, version, os.Getpid())
	})
	go func() { log.Fatal(http.ListenAndServe("ADDR2", metrics)) }()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s pid=%d\n", version, os.Getpid())
	})
	log.Fatal(http.ListenAndServe("ADDR", nil))
}
