// The most common Go server there is: net/http's ListenAndServe on a fixed
// address, no signal handling, nothing from reloader.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

const version = "v1"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s pid=%d\n", version, os.Getpid())
	})
	log.Fatal(http.ListenAndServe("ADDR", nil))
}
