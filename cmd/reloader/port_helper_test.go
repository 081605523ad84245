package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

// portHelperEnv makes the test binary a helper process that holds a socket
// (see runPortHelper).
const portHelperEnv = "RELOADER_TEST_PORT_HELPER"

// runPortHelper binds 127.0.0.1:0 ("tcp": listening; "udp"), or nothing
// ("wait"), prints "ready ADDR" and holds it until stdin is closed.
func runPortHelper(mode string) int {
	addr := "-"
	switch mode {
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		defer ln.Close()
		addr = ln.Addr().String()
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		defer pc.Close()
		addr = pc.LocalAddr().String()
	}
	fmt.Println("ready", addr)
	io.Copy(io.Discard, os.Stdin)
	return 0
}
