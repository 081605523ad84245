// A templ app: page is in hello.templ; `go tool templ generate` writes
// hello_templ.go. It takes its socket from fd 3.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page("Hello").Render(r.Context(), w)
	}))
}
