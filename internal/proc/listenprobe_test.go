package proc

import (
	"slices"
	"testing"
)

// Text captured on Linux 6.18 (amd64) from a Go server made with
// net.FileListener: its epoll fd's fdinfo and its threads' syscall files.
func TestParseProbeText(t *testing.T) {
	t.Parallel()
	fdinfo := "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\n" +
		"tfd:        5 events: 8000201d data: 3fea7b736f000002  pos:0 ino:62764c sdev:9\n" +
		"tfd:        8 events:       19 data:           648270  pos:0 ino:40e sdev:10\n"
	epolls := []struct {
		name, text string
		want       []uint64
	}{
		{"epoll fd", fdinfo, []uint64{0x62764c, 0x40e}},
		{"socket fd", "pos:\t0\nflags:\t02000002\nmnt_id:\t10\nino:\t6452812\n", nil},
		{"eventfd", "pos:\t0\neventfd-count:                0\neventfd-id: 4\n", nil},
		{"bad inode", "tfd:        5 events: 19 data: 0  pos:0 ino:zz sdev:9\n", nil},
		{"empty", "", nil},
	}
	for _, c := range epolls {
		if got := epollTargets(c.text); !slices.Equal(got, c.want) {
			t.Errorf("%s: epollTargets = %x, want %x", c.name, got, c.want)
		}
	}
	syscalls := []struct {
		text string
		nr   int64
		arg0 uint64
		ok   bool
	}{
		{"288 0x9 0x26f55a22b51c 0x26f55a22b58c 0x80800 0x0 0x0 0x26f55a22b3e8 0x40916e\n", 288, 9, true},
		{"43 0x3 0x0 0x0 0x0 0x0 0x0 0x7ffc 0x4884e3", 43, 3, true},
		{"202 0x629be0 0x80 0x0 0x7fd4f869ed28 0x0 0x0 0x7fd4f869ecf0 0x4884e3", 202, 0x629be0, true},
		{"running\n", 0, 0, false},
		{"-1 0x7ffc 0x4884e3\n", 0, 0, false},
		{"", 0, 0, false},
		{"43 zz", 0, 0, false},
	}
	for _, c := range syscalls {
		nr, arg0, ok := parseSyscall(c.text)
		if nr != c.nr || arg0 != c.arg0 || ok != c.ok {
			t.Errorf("parseSyscall(%q) = %d, %#x, %v; want %d, %#x, %v", c.text, nr, arg0, ok, c.nr, c.arg0, c.ok)
		}
	}
	links := []struct {
		link string
		ino  uint64
		ok   bool
	}{
		{"socket:[6452812]", 6452812, true},
		{"anon_inode:[eventpoll]", 0, false},
		{"pipe:[6450153]", 0, false},
		{"socket:[12", 0, false},
	}
	for _, c := range links {
		if ino, ok := socketInode(c.link); ino != c.ino || ok != c.ok {
			t.Errorf("socketInode(%q) = %d, %v; want %d, %v", c.link, ino, ok, c.ino, c.ok)
		}
	}
}
