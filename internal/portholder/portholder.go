// Package portholder gives tests a foreign process that holds a socket: the
// test binary itself, re-executed in a process group of its own (as
// reloader starts its children). The tests of portdoctor and cmd/reloader
// use it to see who holds an address.
//
// A test binary that uses it calls RunIfAsked first thing in TestMain.
package portholder

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// Env makes the test binary a holder; its value is the mode.
const Env = "RELOADER_TEST_PORT_HOLDER"

// RunIfAsked runs the holder and exits if this process was started as one.
func RunIfAsked() {
	if mode := os.Getenv(Env); mode != "" {
		os.Exit(run(mode))
	}
}

// run holds a socket until stdin is closed. mode is "tcp" (listen on
// 127.0.0.1:0), "udp" (bind 127.0.0.1:0), "tcp-noterm" (tcp, ignoring
// SIGTERM) or "wait" (no socket). It prints "ready ADDR" once it holds it.
func run(mode string) int {
	addr := "-"
	switch mode {
	case "tcp", "tcp-noterm":
		if mode == "tcp-noterm" {
			signal.Ignore(syscall.SIGTERM)
		}
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
