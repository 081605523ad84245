package livereload

import (
	"bytes"
	"html"
)

// metaPolicies returns the content of each
// <meta http-equiv="Content-Security-Policy" content="..."> an HTML parser
// puts in doc's head, in order, character references decoded; browsers
// enforce those policies with the headers' and ignore such a meta outside
// the head. It is a scanner, not a parser: it stops where the head ends,
// at the first start tag that cannot be in a head (<body>, <div>, ...) or
// the first text that is not whitespace. It goes past </head> (a meta
// right after it still goes into the head), skips comments, doctypes and
// end tags, and skips the contents of script, style, title, noscript and
// noframes (raw text when scripting is on) and of template (inert; a
// nested template ends the skip early). Report-Only and empty policies are
// not returned. nil means none.
func metaPolicies(doc []byte) []string {
	var out []string
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	for i := 0; i < len(doc); {
		lt := bytes.IndexByte(doc[i:], '<')
		if lt < 0 {
			return out
		}
		if !htmlSpace(doc[i : i+lt]) {
			return out
		}
		i += lt
		rest := doc[i:]
		if len(rest) < 2 {
			return out
		}
		switch c := rest[1]; {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[2:], []byte("-->")) // <!--> and <!---> end at once
			if end < 0 {
				return out
			}
			i += 2 + end + 3
		case c == '!' || c == '?' || c == '/': // doctype, bogus comment, end tag
			end := bytes.IndexByte(rest, '>')
			if end < 0 {
				return out
			}
			i += end + 1
		case isASCIILetter(c):
			var lower [16]byte
			t, n := scanTag(rest, lower[:0])
			if n < 0 {
				return out
			}
			i += n
			switch name := string(t.name); name {
			case "meta":
				if len(t.content) > 0 && bytes.EqualFold(t.equiv, []byte("content-security-policy")) {
					out = append(out, html.UnescapeString(string(t.content)))
				}
			case "html", "head", "base", "basefont", "bgsound", "link":
			case "script", "style", "title", "noscript", "noframes", "template":
				end := indexFold(doc[i:], "</"+name)
				if end < 0 {
					return out
				}
				i += end
			default:
				return out
			}
		default: // a '<' that starts no tag is text
			return out
		}
	}
	return out
}

// A startTag is what metaPolicies needs of a start tag: its lower-cased
// name and its first http-equiv and content attributes' raw values (nil
// when absent).
type startTag struct {
	name, equiv, content []byte
}

// scanTag reads the start tag at the beginning of s ("<name ...>") and
// returns it and its length, -1 when s ends inside it. The name is
// lower-cased into buf when it fits (names that do not are no head
// element's).
func scanTag(s, buf []byte) (t startTag, n int) {
	i := 1
	for i < len(s) && !tagSpace(s[i]) && s[i] != '/' && s[i] != '>' {
		i++
	}
	if i-1 <= cap(buf) {
		for _, c := range s[1:i] {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
		t.name = buf
	}
	for {
		for i < len(s) && (tagSpace(s[i]) || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			return t, -1
		}
		if s[i] == '>' {
			return t, i + 1
		}
		start := i
		i++ // a name may start with '='
		for i < len(s) && !tagSpace(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=' {
			i++
		}
		key := s[start:i]
		for i < len(s) && tagSpace(s[i]) {
			i++
		}
		val := []byte{}
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && tagSpace(s[i]) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				end := bytes.IndexByte(s[i+1:], s[i])
				if end < 0 {
					return t, -1
				}
				val = s[i+1 : i+1+end]
				i += end + 2
			} else {
				start := i
				for i < len(s) && !tagSpace(s[i]) && s[i] != '>' {
					i++
				}
				val = s[start:i]
			}
		}
		switch {
		case t.equiv == nil && bytes.EqualFold(key, []byte("http-equiv")):
			t.equiv = val
		case t.content == nil && bytes.EqualFold(key, []byte("content")):
			t.content = val
		}
	}
}

// indexFold is the index of the first sep (ASCII, lower case, its first
// byte not a letter) in s, ignoring case; -1 for none.
func indexFold(s []byte, sep string) int {
	for i := 0; i+len(sep) <= len(s); {
		j := bytes.IndexByte(s[i:], sep[0])
		if j < 0 {
			return -1
		}
		i += j
		if i+len(sep) <= len(s) && bytes.EqualFold(s[i:i+len(sep)], []byte(sep)) {
			return i
		}
		i++
	}
	return -1
}

// htmlSpace reports whether s is all HTML whitespace.
func htmlSpace(s []byte) bool {
	for _, c := range s {
		if !tagSpace(c) {
			return false
		}
	}
	return true
}

// tagSpace reports whether c separates attributes in a tag.
func tagSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
