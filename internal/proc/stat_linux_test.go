package proc

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// The command may hold spaces and parentheses.
	st, err := parseStat("42 (a) b (c) Z 7 42 9 0 -1 4194560 0 0 0 0 0 0 0 0 30 10 1 0 12345 0 0")
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{State: 'Z', PPID: 7, PGID: 42, SID: 9, Nice: 10, Start: 123450 * time.Millisecond}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	if _, err := parseStat("42 (a) R 1"); err == nil {
		t.Error("a short stat line parsed")
	}
	self, err := ReadStat(os.Getpid())
	if err != nil || self.PPID != os.Getppid() {
		t.Errorf("ReadStat(self) = %+v, %v; want parent %d", self, err, os.Getppid())
	}
}
