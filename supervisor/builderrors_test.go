package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// compileOutput runs the real go build on a module whose main.go is src and
// returns its output; the build must fail.
func compileOutput(t *testing.T, src string) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"go.mod": "module example.com/broken\n\ngo 1.22\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the build of %q succeeded", src)
	}
	return out
}

func TestSummariseBuildCountsCompilerErrors(t *testing.T) {
	t.Parallel()
	var many strings.Builder
	many.WriteString("package main\n\nfunc main() {\n")
	for i := range 12 {
		fmt.Fprintf(&many, "\tundefined%d()\n", i)
	}
	many.WriteString("}\n")
	for _, tc := range []struct {
		name, src string
		want      buildErrors
		line      string
	}{
		{"two", "package main\n\nfunc main() {\n\tx := 1\n\tundefinedFunc()\n}\n",
			buildErrors{Count: 2, First: "./main.go:4:2"}, "2 errors, the first at ./main.go:4:2"},
		{"syntax", "package main\n\nfunc main() {\n\tif {\n}\n",
			buildErrors{Count: 1, First: "./main.go:4:5"}, "1 error, the first at ./main.go:4:5"},
		{"too many", many.String(),
			buildErrors{Count: 10, More: true, First: "./main.go:4:2"}, "more than 10 errors, the first at ./main.go:4:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := compileOutput(t, tc.src)
			got := summariseBuild(out)
			if got != tc.want {
				t.Errorf("summariseBuild = %+v, want %+v; the output:\n%s", got, tc.want, out)
			}
			if got.String() != tc.line {
				t.Errorf("summary %q, want %q", got.String(), tc.line)
			}
		})
	}
	if got := summariseBuild([]byte("go: updates to go.mod needed\n")); got != (buildErrors{}) || got.String() != "no compiler error in the output" {
		t.Errorf("no compiler error: %+v %q", got, got.String())
	}
}

// The build_failed line is the summary: it counts the errors and names the
// first, in its message and its attributes.
func TestBuildFailedLineSumsUp(t *testing.T) {
	t.Parallel()
	var buf strings.Builder
	logEvent(slog.New(slog.NewTextHandler(&buf, nil)), BuildFailed{Gen: 2, Err: errors.New("exit status 1"), Errors: 10, MoreErrors: true, FirstError: "./main.go:4:2"})
	for _, want := range []string{`msg="build failed: more than 10 errors, the first at ./main.go:4:2; still serving the previous child"`, ` event=build_failed `, ` errors=10+ first=./main.go:4:2`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the line %q lacks %q", buf.String(), want)
		}
	}
}
