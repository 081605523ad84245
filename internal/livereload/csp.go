package livereload

import (
	"fmt"
	"strings"
)

// cspVerdict says whether the page's Content-Security-Policy policies
// (each one policy, see headerPolicies and metaPolicies) let the script
// load from the page's origin and connect back to it, and the nonce it
// must carry ("" for none). All must allow it, as in browsers; why names
// the directive that forbids it. No policies allow it with no nonce.
func cspVerdict(policies []string) (nonce string, ok bool, why string) {
	for _, policy := range policies {
		d := directives(policy)
		src, name := firstOf(d, "script-src-elem", "script-src", "default-src")
		if src != nil {
			n := sourceNonce(src)
			switch {
			case n != "":
				if nonce != "" && nonce != n {
					return "", false, "two policies ask for different nonces"
				}
				nonce = n
			case has(src, "'strict-dynamic'"):
				return "", false, name + " has 'strict-dynamic' and no nonce"
			case !has(src, "'self'") && !has(src, "*"):
				return "", false, fmt.Sprintf("%s %s allows no same-origin script", name, strings.Join(src, " "))
			}
		}
		if src, name := firstOf(d, "connect-src", "default-src"); src != nil && !has(src, "'self'") && !has(src, "*") {
			return "", false, fmt.Sprintf("%s %s forbids the event stream", name, strings.Join(src, " "))
		}
	}
	return nonce, true, ""
}

// headerPolicies splits Content-Security-Policy header values into their
// policies (a value may carry several, comma-separated).
func headerPolicies(headers []string) []string {
	var out []string
	for _, h := range headers {
		out = append(out, strings.Split(h, ",")...)
	}
	return out
}

// directives parses one policy into its directives' source lists; the
// first occurrence of a directive counts, as in browsers.
func directives(policy string) map[string][]string {
	d := map[string][]string{}
	for _, part := range strings.Split(policy, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if _, dup := d[name]; !dup {
			d[name] = f[1:]
		}
	}
	return d
}

func firstOf(d map[string][]string, names ...string) ([]string, string) {
	for _, n := range names {
		if src, ok := d[n]; ok {
			return src, n
		}
	}
	return nil, ""
}

func sourceNonce(src []string) string {
	for _, s := range src {
		if len(s) > len("'nonce-'") && strings.HasPrefix(strings.ToLower(s), "'nonce-") && strings.HasSuffix(s, "'") {
			return s[len("'nonce-") : len(s)-1]
		}
	}
	return ""
}

func has(src []string, want string) bool {
	for _, s := range src {
		if strings.EqualFold(s, want) {
			return true
		}
	}
	return false
}
