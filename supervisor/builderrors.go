package supervisor

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
)

// reCompileError is a line of the go command's compiler and vet output:
// FILE.go:LINE:COL: message (COL is absent from some).
var reCompileError = regexp.MustCompile(`^(\S+\.go:\d+(?::\d+)?): (.+)$`)

// buildErrors is what a failed build's output says, summed up.
type buildErrors struct {
	// Count is the number of compiler errors; 0 if the output holds no
	// FILE.go:LINE: line (a failed link, a go.mod problem, a hook).
	Count int
	// More is set when the compiler stopped at "too many errors": there
	// are more than Count.
	More bool
	// First is the FILE.go:LINE:COL of the first error as the compiler
	// printed it; "" when Count is 0.
	First string
}

// summariseBuild counts the compiler errors in out and names the first.
func summariseBuild(out []byte) buildErrors {
	var b buildErrors
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		m := reCompileError.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case m[2] == "too many errors":
			b.More = true
		default:
			if b.Count == 0 {
				b.First = m[1]
			}
			b.Count++
		}
	}
	return b
}

// String is the summary line's text: "3 errors, the first at main.go:12:3".
func (b buildErrors) String() string {
	if b.Count == 0 {
		return "no compiler error in the output"
	}
	n := fmt.Sprint(b.Count)
	if b.More {
		n = "more than " + n
	}
	word := "errors"
	if b.Count == 1 && !b.More {
		word = "error"
	}
	return fmt.Sprintf("%s %s, the first at %s", n, word, b.First)
}
