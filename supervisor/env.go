package supervisor

import (
	"runtime"
	"strings"
)

// mergeEnv returns the variables of every list with one entry per key: a
// later list's value wins, at the place of the key's first entry. A child
// reads only one copy of a duplicated key, the first (Go's syscall.Getenv,
// glibc's getenv), so an entry appended after the inherited environment
// would be ignored. Keys compare case-insensitively on Windows, as there.
func mergeEnv(lists ...[]string) []string {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]string, 0, n)
	at := make(map[string]int, n)
	for _, l := range lists {
		for _, kv := range l {
			k, ok := envKey(kv)
			if !ok {
				continue // no "=": nothing a child could read
			}
			if i, seen := at[k]; seen {
				out[i] = kv
				continue
			}
			at[k] = len(out)
			out = append(out, kv)
		}
	}
	return out
}

// envKey returns the key of a KEY=VALUE entry. On Windows, keys compare
// case-insensitively, and a leading "=" belongs to the key (=C:=C:\dir).
func envKey(kv string) (string, bool) {
	if runtime.GOOS != "windows" {
		k, _, ok := strings.Cut(kv, "=")
		return k, ok
	}
	i := strings.IndexByte(kv[min(1, len(kv)):], '=')
	if i < 0 {
		return "", false
	}
	return strings.ToUpper(kv[:i+min(1, len(kv))]), true
}
