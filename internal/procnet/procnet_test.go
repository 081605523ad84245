package procnet

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// kernelHex prints ip bytes the way /proc/net/tcp does on this host: each
// 32-bit word in host byte order.
func kernelHex(ip []byte) string {
	var b strings.Builder
	for i := 0; i < len(ip); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(ip[i:]))
	}
	return b.String()
}

func TestParseProcNet(t *testing.T) {
	t.Parallel()
	lo := kernelHex([]byte{127, 0, 0, 1})
	any4 := kernelHex([]byte{0, 0, 0, 0})
	v6, _ := hex.DecodeString("00000000000000000000000000000001")
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: " + lo + ":1F90 " + any4 + ":0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0 100 0 0 10 0\n" +
		"   1: " + lo + ":1F90 " + lo + ":D2F0 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n" +
		"   3: " + lo + ":1F90 " + lo + ":D2F2 01 00000000:0000004E 00:00000000 00000000  1000        0 4444 1 0 20 4 30 10 -1\n" +
		"   2: " + lo + ":1F91 " + any4 + ":0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0 100 0 0 10 0\n"
	es, err := Parse(strings.NewReader(table), 8080)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("entries = %+v", es)
	}
	if e := es[0]; e.Local.String() != "127.0.0.1:8080" || e.State.String() != "LISTEN" || e.UID != 1000 || e.Inode != 4242 {
		t.Errorf("listen entry = %+v", e)
	}
	if e := es[1]; e.State.String() != "TIME_WAIT" || e.Inode != 0 || e.Remote.String() != "127.0.0.1:54000" {
		t.Errorf("time_wait entry = %+v", e)
	}
	if e := es[2]; e.State != StateEstablished || e.RxQueue != 78 || e.Inode != 4444 {
		t.Errorf("established entry with 78 unread bytes = %+v", e)
	}
	ap, err := ParseAddr(kernelHex(v6) + ":0050")
	if err != nil || ap.String() != "[::1]:80" {
		t.Errorf("ParseAddr(v6) = %v, %v", ap, err)
	}
	for _, bad := range []string{"0100007F", "zz:0050", "0100007F:zz"} {
		if _, err := ParseAddr(bad); err == nil {
			t.Errorf("ParseAddr(%q) succeeded", bad)
		}
	}
}

func TestStateString(t *testing.T) {
	t.Parallel()
	for s, want := range map[State]string{StateListen: "LISTEN", StateTimeWait: "TIME_WAIT", StateClose: "CLOSE", 0: "0x00", 0x0C: "0x0C"} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}
