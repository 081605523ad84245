package supervisor

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    Address
		wantErr string
	}{
		{in: "127.0.0.1:8080", want: Address{Network: "tcp", Addr: "127.0.0.1:8080"}},
		{in: ":8080", want: Address{Network: "tcp", Addr: ":8080"}},
		{in: "[::1]:8080", want: Address{Network: "tcp", Addr: "[::1]:8080"}},
		{in: "localhost:0", want: Address{Network: "tcp", Addr: "localhost:0"}},
		{in: "http=127.0.0.1:8080", want: Address{Name: "http", Network: "tcp", Addr: "127.0.0.1:8080"}},
		{in: "unix:/run/app.sock", want: Address{Network: "unix", Addr: "/run/app.sock"}},
		{in: "api=unix:/run/a=b.sock", want: Address{Name: "api", Network: "unix", Addr: "/run/a=b.sock"}},
		{in: "", wantErr: "empty"},
		{in: "8080", wantErr: "missing port"},
		{in: "127.0.0.1:http", wantErr: "port must be a number"},
		{in: "127.0.0.1:70000", wantErr: "port must be a number"},
		{in: "=:80", wantErr: "empty name"},
		{in: "unix:", wantErr: "needs a path"},
		{in: "unix:/" + strings.Repeat("x", 120), wantErr: "longer than 107"},
		{in: "a b=:80", wantErr: "space"},
		{in: "[fe80::1%eth0]:80", want: Address{Network: "tcp", Addr: "[fe80::1%eth0]:80"}},
		{in: "dev-box.local:80", want: Address{Network: "tcp", Addr: "dev-box.local:80"}},
		{in: "[=]:0", wantErr: "not an IP address or host name"},
		{in: "h@st:80", wantErr: "not an IP address or host name"},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadAddress) {
				t.Errorf("ParseAddress(%q) error = %v, want ErrBadAddress mentioning %q", tt.in, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "\""+tt.in+"\"") {
				t.Errorf("ParseAddress(%q) error %q does not name the value", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAddressesNames(t *testing.T) {
	got, err := ParseAddresses([]string{"127.0.0.1:1", "admin=127.0.0.1:2", "unix:/tmp/x.sock"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if strings.Join(names, ":") != "LISTEN_FD_3:admin:LISTEN_FD_5" {
		t.Errorf("names = %v", names)
	}
	if _, err := ParseAddresses([]string{"a=:1", "a=:2"}); err == nil || !strings.Contains(err.Error(), `"a" is used twice`) {
		t.Errorf("duplicate names: err = %v", err)
	}
}
