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

// childEnv drops the variables of the activation protocols, reloader's
// RELOADER_HOOK_SOCKET included (it is also the env var of the listen key): a
// child gets them only from its own supervisor.
func TestChildEnvDropsProtocolVariables(t *testing.T) {
	t.Parallel()
	got := childEnv([]string{"PATH=/bin", "LISTEN_FDS=2", "NOTIFY_SOCKET=/n", "RELOADER_HOOK_SOCKET=127.0.0.1:8080", "RELOADER_LOG_LEVEL=debug"})
	want := []string{"PATH=/bin", "RELOADER_LOG_LEVEL=debug"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}
