package listenfd

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseEnv(t *testing.T) {
	const pid = 4242
	tests := []struct {
		name     string
		env      map[string]string
		want     envState
		wantErr  error  // checked with errors.Is
		wantText string // exact error text, if set
	}{
		{
			name: "nothing inherited",
			env:  nil,
		},
		{
			name: "notify only",
			env:  map[string]string{"NOTIFY_SOCKET": "@reloader"},
			want: envState{notify: "@reloader"},
		},
		{
			name: "zero fds",
			env:  map[string]string{"LISTEN_FDS": "0", "LISTEN_PID": "4242"},
		},
		{
			name: "missing LISTEN_PID accepted",
			env:  map[string]string{"LISTEN_FDS": "2"},
			want: envState{fds: []fdSpec{{3, "LISTEN_FD_3"}, {4, "LISTEN_FD_4"}}},
		},
		{
			name: "matching LISTEN_PID with names",
			env:  map[string]string{"LISTEN_FDS": "3", "LISTEN_PID": "4242", "LISTEN_FDNAMES": "http::admin", "NOTIFY_SOCKET": "/run/n"},
			want: envState{fds: []fdSpec{{3, "http"}, {4, "LISTEN_FD_4"}, {5, "admin"}}, notify: "/run/n"},
		},
		{
			name: "fewer names than fds",
			env:  map[string]string{"LISTEN_FDS": "2", "LISTEN_FDNAMES": "http"},
			want: envState{fds: []fdSpec{{3, "http"}, {4, "LISTEN_FD_4"}}},
		},
		{
			name: "extra names ignored",
			env:  map[string]string{"LISTEN_FDS": "1", "LISTEN_FDNAMES": "http:admin"},
			want: envState{fds: []fdSpec{{3, "http"}}},
		},
		{
			name:     "LISTEN_PID of another process",
			env:      map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "1", "NOTIFY_SOCKET": "/run/n"},
			want:     envState{notify: "/run/n"},
			wantErr:  ErrPIDMismatch,
			wantText: "listenfd: LISTEN_PID=1 but this process is pid 4242: the inherited sockets belong to another process and are ignored",
		},
		{
			name:     "non-numeric LISTEN_FDS",
			env:      map[string]string{"LISTEN_FDS": "two"},
			wantErr:  ErrInvalidEnv,
			wantText: `listenfd: invalid LISTEN_FDS="two": not a non-negative integer`,
		},
		{
			name:    "negative LISTEN_FDS",
			env:     map[string]string{"LISTEN_FDS": "-1"},
			wantErr: ErrInvalidEnv,
		},
		{
			name:    "huge LISTEN_FDS",
			env:     map[string]string{"LISTEN_FDS": "99999999"},
			wantErr: ErrInvalidEnv,
		},
		{
			name:     "non-numeric LISTEN_PID",
			env:      map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "self"},
			wantErr:  ErrInvalidEnv,
			wantText: `listenfd: invalid LISTEN_PID="self": not a positive integer`,
		},
		{
			name: "LISTEN_PID ignored without LISTEN_FDS",
			env:  map[string]string{"LISTEN_PID": "self"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnv(func(k string) string { return tt.env[k] }, pid)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("parseEnv: unexpected error %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("parseEnv error = %v, want one matching %v", err, tt.wantErr)
			}
			if tt.wantText != "" && err.Error() != tt.wantText {
				t.Errorf("error text\n got %q\nwant %q", err.Error(), tt.wantText)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	var pe *PIDError
	_, err := parseEnv(func(k string) string { return map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "7"}[k] }, 8)
	if !errors.As(err, &pe) || pe.ListenPID != 7 || pe.PID != 8 {
		t.Errorf("errors.As(%v, *PIDError) = %+v", err, pe)
	}

	var ee *EnvError
	_, err = parseEnv(func(k string) string { return map[string]string{"LISTEN_FDS": "x"}[k] }, 8)
	if !errors.As(err, &ee) || ee.Var != "LISTEN_FDS" || ee.Value != "x" {
		t.Errorf("errors.As(%v, *EnvError) = %+v", err, ee)
	}

	fe := &FDError{FD: 3, Name: "http", Err: ErrNotSocket}
	if got, want := fe.Error(), `listenfd: fd 3 ("http"): not a socket`; got != want {
		t.Errorf("FDError text %q, want %q", got, want)
	}
	if !errors.Is(fe, ErrNotSocket) {
		t.Errorf("FDError does not wrap ErrNotSocket")
	}
}
