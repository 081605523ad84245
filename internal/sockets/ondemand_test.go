package sockets

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	t.Parallel()
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		msg  string
		want Request
		err  string // the "no" reason's start; "" for a valid request
	}{
		{msg: "listen tcp4 127.0.0.1:18301", want: Request{Network: "tcp4", Addr: ap("127.0.0.1:18301")}},
		{msg: "listen tcp6 [::]:8080 v6only=0", want: Request{Network: "tcp6", Addr: ap("[::]:8080")}},
		{msg: "listen tcp6 [::1]:8080 v6only=1", want: Request{Network: "tcp6", Addr: ap("[::1]:8080"), V6Only: true}},
		{msg: "listen tcp6 [::ffff:127.0.0.1]:80 v6only=0", want: Request{Network: "tcp6", Addr: ap("[::ffff:127.0.0.1]:80")}},
		{msg: "listen tcp6 [fe80::1%eth0]:80 v6only=1", want: Request{Network: "tcp6", Addr: ap("[fe80::1%eth0]:80"), V6Only: true}},
		{msg: "ready 127.0.0.1:18301", want: Request{Ready: true, Addr: ap("127.0.0.1:18301")}},
		{msg: "listen tcp4 127.0.0.1:18301\n", want: Request{Network: "tcp4", Addr: ap("127.0.0.1:18301")}},

		{msg: "", err: "unknown request"},
		{msg: "accept 127.0.0.1:1", err: "unknown request"},
		{msg: "LISTEN tcp4 127.0.0.1:1", err: "unknown request"},
		{msg: "listen", err: "bad request"},
		{msg: "listen tcp4", err: "bad request"},
		{msg: "listen tcp4 127.0.0.1:0", err: "port 0 not taken over"},
		{msg: "listen tcp6 [::]:0 v6only=0", err: "port 0 not taken over"},
		{msg: "listen udp4 127.0.0.1:53", err: "network udp4 not taken over"},
		{msg: "listen unix /tmp/x.sock", err: "network unix not taken over"},
		{msg: "listen tcp 127.0.0.1:80", err: "network tcp not taken over"},
		{msg: "listen sctp 127.0.0.1:80", err: "bad request"},
		{msg: "listen tcp4 localhost:80", err: "bad request"},
		{msg: "listen tcp4 127.0.0.1", err: "bad request"},
		{msg: "listen tcp4 [::1]:80", err: "bad request: tcp4 address"},
		{msg: "listen tcp4 127.0.0.1:80 v6only=0", err: "bad request: tcp4 takes no option"},
		{msg: "listen tcp6 127.0.0.1:80 v6only=0", err: "bad request: tcp6 address"},
		{msg: "listen tcp6 [::1]:80", err: "bad request: tcp6 takes v6only"},
		{msg: "listen tcp6 [::1]:80 v6only=2", err: "bad request: tcp6 option"},
		{msg: "listen tcp6 [::1]:80 v6only=0 v6only=1", err: "bad request: tcp6 takes v6only"},
		{msg: "listen tcp6 [::ffff:127.0.0.1]:80 v6only=1", err: "bad request: [::ffff:127.0.0.1]:80 is IPv4-mapped"},
		{msg: "ready", err: "bad request"},
		{msg: "ready nowhere", err: "bad request"},
	} {
		got, err := ParseRequest([]byte(tc.msg))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.msg, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%q: %+v, want %+v", tc.msg, got, tc.want)
		case tc.err == "" && got.String() != strings.TrimSpace(tc.msg):
			t.Errorf("%q: String() = %q", tc.msg, got.String())
		case tc.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one starting %q", tc.msg, err, tc.err)
		}
	}
	if _, err := ParseRequest([]byte("hello")); !errors.Is(err, ErrUnknownRequest) {
		t.Errorf("unknown message: %v, want ErrUnknownRequest", err)
	}
}
