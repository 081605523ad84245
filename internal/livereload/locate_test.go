package livereload

import (
	"strings"
	"testing"
)

func TestLocate(t *testing.T) {
	t.Parallel()
	out := "# example.com/app\n./main.go:12:5: undefined: <script>x</script>\nhandlers/h.go:3: bad\n/abs/x.go:7:1: y\n"
	parts := Locate(out, "/src/app", "")
	var text strings.Builder
	var hrefs []string
	for _, p := range parts {
		text.WriteString(p.Text)
		if p.Href != "" {
			hrefs = append(hrefs, p.Text+" -> "+p.Href)
		}
	}
	if text.String() != out {
		t.Errorf("parts do not add up to the output: %q", text.String())
	}
	want := []string{
		"./main.go:12:5 -> vscode://file//src/app/main.go:12:5",
		"handlers/h.go:3 -> vscode://file//src/app/handlers/h.go:3:1",
		"/abs/x.go:7:1 -> vscode://file//abs/x.go:7:1",
	}
	if strings.Join(hrefs, "\n") != strings.Join(want, "\n") {
		t.Errorf("links:\n%s\nwant:\n%s", strings.Join(hrefs, "\n"), strings.Join(want, "\n"))
	}
	if p := Locate("main.go:1:2: x", "/d", "goland://open?file={path}&line={line}"); p[0].Href != "goland://open?file=/d/main.go&line=1" {
		t.Errorf("custom editor url: %q", p[0].Href)
	}
}
