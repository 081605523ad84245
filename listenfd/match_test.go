package listenfd

import (
	"errors"
	"net"
	"testing"
)

func TestMatchAddr(t *testing.T) {
	v4 := func(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip).To4(), Port: port} }
	v6 := func(ip string, port int) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip).To16(), Port: port} }
	lookup := func(host string) ([]net.IP, error) {
		if host == "localhost" {
			return []net.IP{net.ParseIP("::1"), net.ParseIP("127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	tests := []struct {
		network, addr string
		la            net.Addr
		want          bool
	}{
		{"tcp", ":8080", v4("0.0.0.0", 8080), true},
		{"tcp", ":8080", v6("::", 8080), true},
		{"tcp", ":8080", v4("127.0.0.1", 8080), true},
		{"tcp", ":8081", v4("0.0.0.0", 8080), false},
		{"tcp", "0.0.0.0:8080", v6("::", 8080), true},
		{"tcp", "[::]:8080", v4("127.0.0.1", 8080), true},
		{"tcp", "127.0.0.1:8080", v4("127.0.0.1", 8080), true},
		{"tcp", "127.0.0.2:8080", v4("127.0.0.1", 8080), false},
		{"tcp", "127.0.0.1:8080", v4("0.0.0.0", 8080), false}, // wildcard is broader than asked
		{"tcp", "[::1]:8080", v6("::1", 8080), true},
		{"tcp", "[fe80::1%eth0]:8080", v6("fe80::1", 8080), true},
		{"tcp", "localhost:8080", v4("127.0.0.1", 8080), true},
		{"tcp", "nosuchhost:8080", v4("127.0.0.1", 8080), false},
		{"tcp", ":http", v4("0.0.0.0", 80), true},
		{"tcp", ":0", v4("0.0.0.0", 0), false},
		{"tcp", "8080", v4("0.0.0.0", 8080), false},
		{"tcp4", ":8080", v4("0.0.0.0", 8080), true},
		{"tcp4", ":8080", v6("::", 8080), false},
		{"tcp6", ":8080", v6("::", 8080), true},
		{"tcp6", ":8080", v4("0.0.0.0", 8080), false},
		{"udp", ":8080", v4("0.0.0.0", 8080), false},
		{"unix", ":8080", v4("0.0.0.0", 8080), false},
		{"tcp", ":8080", &net.UDPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{"unix", "/run/app.sock", &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, true},
		{"unix", "@app", &net.UnixAddr{Name: "@app", Net: "unix"}, true},
		{"unix", "/run/other.sock", &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, false},
		{"unix", "", &net.UnixAddr{Name: "", Net: "unix"}, false},
		{"unixpacket", "/run/app.sock", &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, false},
		{"unix", "/run/app.sock", &net.UnixAddr{Name: "/run/app.sock", Net: "unixgram"}, false},
		{"tcp", ":8080", nil, false},
	}
	for _, tt := range tests {
		if got := matchAddr(tt.network, tt.addr, tt.la, lookup); got != tt.want {
			t.Errorf("matchAddr(%q, %q, %v) = %v, want %v", tt.network, tt.addr, tt.la, got, tt.want)
		}
	}
}
