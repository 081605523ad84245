package portdoctor_test

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/reloader-dev/reloader/portdoctor"
)

func ExampleReport_Summary() {
	r := &portdoctor.Report{
		Network: "tcp",
		Addr:    "127.0.0.1:8080",
		Kind:    portdoctor.KindInUse,
		Holders: []portdoctor.Holder{{
			PID: 1234, User: "alice", UID: 1000, State: "LISTEN", Local: "127.0.0.1:8080",
			Cmdline: "python3 -m http.server 8080",
		}},
	}
	fmt.Println(r.Summary())
	// Output: 127.0.0.1:8080 is in use by pid 1234 (alice): python3 -m http.server 8080
}

func ExampleWrap() {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		err = portdoctor.Wrap(ctx, "tcp", "127.0.0.1:8080", err)
		fmt.Fprintln(os.Stderr, err) // the one-line summary
		if be, ok := err.(*portdoctor.BindError); ok {
			be.Report.Format(os.Stderr) // the whole diagnosis
		}
		return
	}
	defer ln.Close()
}
