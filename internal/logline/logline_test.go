package logline

import "testing"

func TestAttrsAndIs(t *testing.T) {
	t.Parallel()
	line := `time=2026-01-02T03:04:05.000Z level=ERROR msg="build failed; still serving the previous child" event=build_failed pid=41 gen=2 err="hooks.pre_build: exit status 1" build_time=812ms`
	a := Attrs(line)
	for k, want := range map[string]string{"level": "ERROR", "msg": "build failed; still serving the previous child", "event": "build_failed", "pid": "41", "err": "hooks.pre_build: exit status 1", "build_time": "812ms"} {
		if a[k] != want {
			t.Errorf("%s = %q, want %q", k, a[k], want)
		}
	}
	if !Is(line, "build_failed", "pid=41", "err=hooks.pre_build: exit status 1") {
		t.Error("Is: no match")
	}
	for _, tt := range []struct {
		name string
		want []string
	}{{"build", nil}, {"build_failed", []string{"pid=4"}}, {"child_ready", nil}} {
		if Is(line, tt.name, tt.want...) {
			t.Errorf("Is(%q, %q) matched", tt.name, tt.want)
		}
	}
	if Is(`level=INFO msg="app said event=build_failed" event=child_ready`, "build_failed") {
		t.Error("an event= inside a quoted message matched")
	}
}
