package supervisor

import (
	"slices"
	"testing"
)

// mergeEnv keeps one entry per key, the last value at the first place.
func TestMergeEnvOneEntryPerKey(t *testing.T) {
	t.Parallel()
	got := mergeEnv(
		[]string{"PATH=/bin", "PORT=8080", "APP_ENV=prod", "PORT=9", "junk"},
		[]string{"APP_ENV=dev"},
		[]string{"PORT=41234", "NOTIFY_SOCKET=/n"},
	)
	want := []string{"PATH=/bin", "PORT=41234", "APP_ENV=dev", "NOTIFY_SOCKET=/n"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}
