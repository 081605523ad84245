package portdoctor

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct{ in, network, addr string }{
		{"127.0.0.1:8080", "tcp", "127.0.0.1:8080"},
		{":8080", "tcp", ":8080"},
		{"8080", "tcp", ":8080"},
		{"[::1]:8080", "tcp", "[::1]:8080"},
		{"udp:127.0.0.1:53", "udp", "127.0.0.1:53"},
		{"udp::5353", "udp", ":5353"},
		{"tcp:localhost:80", "tcp", "localhost:80"},
	} {
		n, a, err := ParseTarget(tc.in)
		if err != nil || n != tc.network || a != tc.addr {
			t.Errorf("ParseTarget(%q) = %q, %q, %v; want %q, %q", tc.in, n, a, err, tc.network, tc.addr)
		}
	}
	for _, in := range []string{"", "localhost", "1.2.3.4:http", ":70000", ":0", "unix:/tmp/x.sock", "sctp:1.2.3.4:5"} {
		if _, _, err := ParseTarget(in); !errors.Is(err, ErrBadAddress) {
			t.Errorf("ParseTarget(%q) = %v, want ErrBadAddress", in, err)
		}
	}
}

func TestConflicts(t *testing.T) {
	p := netip.MustParseAddr
	v4, v4b, any4, any6, v6 := p("127.0.0.1"), p("127.0.0.2"), p("0.0.0.0"), p("::"), p("::1")
	for _, tc := range []struct {
		targets []netip.Addr
		local   netip.Addr
		want    bool
	}{
		{nil, v4, true},
		{[]netip.Addr{v4}, v4, true},
		{[]netip.Addr{v4}, p("::ffff:127.0.0.1"), true},
		{[]netip.Addr{v4}, v4b, false},
		{[]netip.Addr{v4}, any4, true},
		{[]netip.Addr{v4}, any6, true},
		{[]netip.Addr{v4}, v6, false},
		{[]netip.Addr{any4}, v4b, true},
		{[]netip.Addr{any4}, v6, false},
		{[]netip.Addr{any6}, v4, true},
		{[]netip.Addr{v6}, any4, false},
		{[]netip.Addr{v6}, any6, true},
	} {
		if got := conflicts(tc.targets, tc.local); got != tc.want {
			t.Errorf("conflicts(%v, %v) = %v, want %v", tc.targets, tc.local, got, tc.want)
		}
	}
}

func TestParseLsofAndNetstat(t *testing.T) {
	lsof := "p1234\nu501\nLalice\nf5\nn127.0.0.1:8080\nf6\nn[::1]:8080\np99\nu0\nLroot\nf3\nn*:8080\nf4\nn127.0.0.1:9090\n"
	es := parseLsof(lsof, 8080, "LISTEN")
	if len(es) != 3 {
		t.Fatalf("parseLsof = %+v", es)
	}
	if e := es[0]; e.local.String() != "127.0.0.1:8080" || e.uid != 501 || e.user != "alice" || e.procs[0].pid != 1234 {
		t.Errorf("first = %+v", e)
	}
	if e := es[2]; e.local.Addr() != netip.IPv6Unspecified() || e.user != "root" || e.procs[0].pid != 99 {
		t.Errorf("wildcard = %+v", e)
	}
	netstat := `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  127.0.0.1.8080         127.0.0.1.53412        TIME_WAIT
tcp6       0      0  ::1.8080               ::1.53413              TIME_WAIT
tcp4       0      0  *.8080                 *.*                    LISTEN
tcp4       0      0  127.0.0.1.9090         127.0.0.1.53414        TIME_WAIT
`
	es = parseNetstat(netstat, 8080)
	if len(es) != 3 || es[0].state != "TIME_WAIT" || es[1].local.String() != "[::1]:8080" || es[2].state != "LISTEN" {
		t.Errorf("parseNetstat = %+v", es)
	}
}

func TestNoTwRecycleRecommendation(t *testing.T) {
	// tcp_tw_recycle was removed in Linux 4.12 and broke clients behind NAT.
	// No text of this package may bring it up, let alone recommend it.
	ctx := context.Background()
	var texts []string
	for _, err := range []error{nil, syscall.EADDRINUSE, syscall.EACCES, syscall.EADDRNOTAVAIL, syscall.EINVAL, syscall.ENOBUFS} {
		r := Options{}.Explain(ctx, "tcp", "127.0.0.1:80", err)
		r.TimeWait = 3
		r.Holders = []Holder{{PID: 1, UID: 0, State: "LISTEN", Local: "0.0.0.0:80"}, {UID: 1000, State: "LISTEN"}}
		advise(r, 80)
		texts = append(texts, r.String())
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	for _, s := range texts {
		low := strings.ToLower(s)
		if strings.Contains(low, "tw_recycle") || strings.Contains(low, "tw-recycle") {
			t.Errorf("text brings up tcp_tw_recycle:\n%s", s)
		}
	}
	if !strings.Contains(texts[0], "SO_REUSEADDR") {
		t.Errorf("TIME_WAIT advice lacks SO_REUSEADDR:\n%s", texts[0])
	}
}

func TestJoinArgsAndShorten(t *testing.T) {
	got := joinArgs([]string{"python3", "-c", "import x\nprint(1)", "", "a b", "plain"})
	want := `python3 -c "import x\nprint(1)" "" "a b" plain`
	if got != want {
		t.Errorf("joinArgs = %s, want %s", got, want)
	}
	if s := shorten(strings.Repeat("x", 200), 120); len(s) != 120 || !strings.HasSuffix(s, "...") {
		t.Errorf("shorten = %q", s)
	}
}
