package supervisor

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseGoRun(t *testing.T) {
	tests := []struct {
		argv    string
		notGo   bool
		want    GoRun
		wantErr string
	}{
		{argv: "go run .", want: GoRun{Go: "go", Pkg: []string{"."}, Args: []string{}}},
		{argv: "go run ./cmd/api -port 1 x", want: GoRun{Go: "go", Pkg: []string{"./cmd/api"}, Args: []string{"-port", "1", "x"}}},
		{argv: "go run -race -tags dev -ldflags=-X=a.b=c ./cmd/api", want: GoRun{Go: "go", Flags: []string{"-race", "-tags", "dev", "-ldflags=-X=a.b=c"}, Pkg: []string{"./cmd/api"}, Args: []string{}}},
		{argv: "go run main.go util.go -v", want: GoRun{Go: "go", Pkg: []string{"main.go", "util.go"}, Args: []string{"-v"}}},
		{argv: "/usr/local/go/bin/go run --mod=mod example.com/x@latest", want: GoRun{Go: "/usr/local/go/bin/go", Flags: []string{"--mod=mod"}, Pkg: []string{"example.com/x@latest"}, Args: []string{}}},
		{argv: "./server -addr :8080", notGo: true},
		{argv: "go build .", notGo: true},
		{argv: "go run", wantErr: "names no package"},
		{argv: "go run -race", wantErr: "names no package"},
		{argv: "go run -tags", wantErr: "-tags needs a value"},
		{argv: "go run -exec sudo .", wantErr: "-exec cannot be used"},
		{argv: "go run -bogus .", wantErr: `unknown build flag "-bogus"`},
	}
	for _, tt := range tests {
		g, ok, err := ParseGoRun(strings.Fields(tt.argv))
		switch {
		case tt.notGo:
			if ok || err != nil {
				t.Errorf("%q: ok=%v err=%v, want not a go run command", tt.argv, ok, err)
			}
		case tt.wantErr != "":
			if !ok || err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrBadGoRun) {
				t.Errorf("%q: err = %v, want ErrBadGoRun with %q", tt.argv, err, tt.wantErr)
			}
		default:
			if !ok || err != nil || !reflect.DeepEqual(g, tt.want) {
				t.Errorf("%q: got %#v %v %v, want %#v", tt.argv, g, ok, err, tt.want)
			}
		}
	}
}

func TestBuildArgsLinkLikeGoRun(t *testing.T) {
	g, _, _ := ParseGoRun(strings.Fields("go run -tags dev -ldflags -X=main.v=1 ./cmd/api"))
	got := strings.Join(g.BuildArgs("/tmp/out", false), " ")
	want := "go build -tags dev -ldflags=-X=main.v=1 -s -w -buildvcs=false -o /tmp/out ./cmd/api"
	if got != want {
		t.Errorf("BuildArgs = %q\nwant        %q", got, want)
	}
	got = strings.Join(g.BuildArgs("/tmp/out", true), " ")
	if strings.Contains(got, "-s -w") {
		t.Errorf("debug BuildArgs strips DWARF: %q", got)
	}
}

func TestWithLDFlagsKeepsTheUsers(t *testing.T) {
	for _, tt := range []struct {
		argv  string
		debug bool
		want  string
	}{
		{"go run -tags dev -ldflags -X=main.v=1 ./cmd/api", false, "go build -tags dev -ldflags=-X=main.v=1 -checklinkname=0 -s -w -buildvcs=false -o /tmp/out ./cmd/api"},
		{"go run -ldflags=-X=main.v=1 -race .", true, "go build -race -ldflags=-X=main.v=1 -checklinkname=0 -buildvcs=false -o /tmp/out ."},
		{"go run .", false, "go build -ldflags=-checklinkname=0 -s -w -buildvcs=false -o /tmp/out ."},
		{"go run .", true, "go build -ldflags=-checklinkname=0 -buildvcs=false -o /tmp/out ."},
	} {
		g, _, _ := ParseGoRun(strings.Fields(tt.argv))
		if got := strings.Join(g.withLDFlags("-checklinkname=0").BuildArgs("/tmp/out", tt.debug), " "); got != tt.want {
			t.Errorf("%q debug=%v:\n got %q\nwant %q", tt.argv, tt.debug, got, tt.want)
		}
	}
}
