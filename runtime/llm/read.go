// read.go turns a reply into its readings: the whole reply as strict JSON,
// the contents of ``` fences, the JSON-looking spans grepped out of prose,
// the repaired reply, or the plain text, in BAML's order.

package llm

import (
	"errors"
	"strings"
)

// readOpts says which readings readText may try (BAML's ParseOptions):
// the nested readings of a fence's content or of a grepped span turn some
// off, so that each part of the reply is read a bounded number of times.
type readOpts struct {
	noMarkdown bool // do not look for ``` fences
	noGrep     bool // do not grep for {...} and [...] spans
	noString   bool // do not fall back to the plain text
	depth      int
}

// Bounds on the work spent on one reply; together they keep reading
// linear in the reply's length.
const (
	maxReadDepth   = 8  // nested readings (fence in a span in a fence ...)
	maxFences      = 16 // ``` blocks read
	maxGrepped     = 32 // {...} and [...] spans read
	maxFenceTrials = 4  // closing fences tried for one opening fence
)

var errNotRead = errors.New("no reading of the text")

// readText returns the readings of s. The result is a jAnyOf of the
// candidate readings (best first) whose text is s, or a plain jString of
// s when nothing else reads it.
func readText(s string, o readOpts) (*jvalue, error) {
	o.depth++
	if o.depth > maxReadDepth {
		return nil, errNotRead
	}
	if v, ok := strictJSON(s); ok {
		return janyOf([]*jvalue{v}, s), nil
	}
	if !o.noMarkdown {
		if v, ok := readFences(s, o); ok {
			return v, nil
		}
	}
	if !o.noGrep {
		if v, ok := readGrepped(s, o); ok {
			return v, nil
		}
	}
	if vs, err := fixJSON(s); err == nil {
		if len(vs) == 1 {
			if v := vs[0]; !(v.kind == jString && v.text == s) {
				return janyOf([]*jvalue{jfixed(v)}, s), nil
			}
		} else {
			return janyOf(withList(vs, jfixed), s), nil
		}
	}
	if o.noString {
		return nil, errNotRead
	}
	return jstr(s, true), nil
}

// withList returns the readings vs, each wrapped by wrap, followed by the
// list of all of them: several values may be the elements of one list.
func withList(vs []*jvalue, wrap func(*jvalue) *jvalue) []*jvalue {
	out := make([]*jvalue, 0, len(vs)+1)
	for _, v := range vs {
		out = append(out, wrap(v))
	}
	list := &jvalue{kind: jArray, items: append([]*jvalue(nil), out...)}
	return append(out, list)
}

// readFences reads the ``` fenced blocks of s. One block alone is the
// reading; several (or one followed by more text) give each block, then
// the list of all blocks, then the reading of the text after the last.
func readFences(s string, o readOpts) (*jvalue, bool) {
	inner := o
	inner.noMarkdown, inner.noGrep, inner.noString = true, true, true
	var blocks []*jvalue
	rest := s
	for len(blocks) < maxFences {
		tagStart, contentStart, ok := findFenceStart(rest)
		if !ok {
			break
		}
		tag := strings.TrimSpace(rest[tagStart:contentStart])
		if tag == "" {
			tag = "<unspecified>"
		}
		body := rest[contentStart:]
		v, next, closed := readFenceBody(body, inner)
		if v != nil {
			blocks = append(blocks, jmarkdown(tag, v))
		}
		if !closed {
			break // as in BAML, the text from the unclosed fence on is read again below
		}
		rest = body[next:]
	}
	switch {
	case len(blocks) == 0:
		return nil, false
	case len(blocks) == 1 && strings.TrimSpace(rest) == "":
		return janyOf(blocks, s), true
	}
	cands := withList(blocks, func(v *jvalue) *jvalue { return v })
	if strings.TrimSpace(rest) != "" {
		after := o
		after.noMarkdown, after.noGrep = true, true // as BAML reads the text after the fences
		if v, err := readText(rest, after); err == nil {
			cands = append(cands, v)
		}
	}
	return janyOf(cands, s), true
}

// readFenceBody reads a fence's content from body (the text after the
// opening line): up to the first closing fence whose content reads, or to
// the end when there is none. next is where the text after the closing
// fence starts.
func readFenceBody(body string, o readOpts) (v *jvalue, next int, closed bool) {
	from := 0
	first := -1
	for trial := 0; trial < maxFenceTrials; trial++ {
		start, end, ok := findFenceEnd(body, from)
		if !ok {
			break
		}
		if first < 0 {
			first = end
		}
		c := strings.TrimSpace(body[:start])
		if r, err := readText(c, o); err == nil {
			return r, end, true
		}
		from = end
	}
	if first >= 0 {
		// No closing fence gave a reading: the block is unreadable, and
		// the text goes on after its first closing fence.
		return nil, first, true
	}
	r, err := readText(strings.TrimSpace(body), o)
	if err != nil {
		return nil, len(body), false
	}
	return r, len(body), false
}

// findFenceStart finds an opening fence in s: a line (after optional
// spaces and tabs) that starts with ``` followed by a tag of letters,
// digits and spaces, ending at a newline or the end of s. It returns where
// the tag starts and where the block's content starts.
func findFenceStart(s string) (tagStart, contentStart int, ok bool) {
	for from := 0; ; {
		i := strings.Index(s[from:], "```")
		if i < 0 {
			return 0, 0, false
		}
		i += from
		from = i + 3
		if !atLineStart(s, i) {
			continue
		}
		j := i + 3
		for j < len(s) && isTagByte(s[j]) {
			j++
		}
		if j == i+3 {
			continue // an untagged fence opens no block (it is read as grepped JSON)
		}
		switch {
		case j == len(s):
			return i + 3, j, true
		case s[j] == '\n':
			return i + 3, j + 1, true
		}
	}
}

// findFenceEnd finds a closing fence in s at or after from: ``` alone on
// its line (after optional spaces and tabs), followed by a newline or the
// end of s. start is where the fence's line starts, end where the text
// after it starts.
func findFenceEnd(s string, from int) (start, end int, ok bool) {
	for {
		i := strings.Index(s[from:], "```")
		if i < 0 {
			return 0, 0, false
		}
		i += from
		from = i + 3
		if !atLineStart(s, i) {
			continue
		}
		switch j := i + 3; {
		case j == len(s):
			return lineStart(s, i), j, true
		case s[j] == '\n':
			return lineStart(s, i), j + 1, true
		}
	}
}

// atLineStart reports whether only spaces and tabs precede s[i] on its line.
func atLineStart(s string, i int) bool {
	return lineStart(s, i) >= 0 && strings.Trim(s[lineStart(s, i):i], " \t") == ""
}

func lineStart(s string, i int) int {
	return strings.LastIndexByte(s[:i], '\n') + 1
}

func isTagByte(c byte) bool {
	return c == ' ' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// readGrepped reads the balanced {...} and [...] spans of s (brackets are
// matched without regard to strings, as in BAML; mismatched brackets give
// no reading). A span left open at the end runs to the end of s.
func readGrepped(s string, o readOpts) (*jvalue, bool) {
	inner := o
	inner.noGrep, inner.noString = true, true
	var stack []byte
	start := -1
	var found []*jvalue
	read := func(span string) {
		if v, err := readText(span, inner); err == nil {
			found = append(found, v)
		}
	}
	spans := 0
	for i := 0; i < len(s) && spans < maxGrepped; i++ {
		switch c := s[i]; c {
		case '{', '[':
			if len(stack) == 0 {
				start = i
			}
			stack = append(stack, c)
		case '}', ']':
			if len(stack) > 0 {
				want := byte('{')
				if c == ']' {
					want = '['
				}
				if stack[len(stack)-1] != want {
					return nil, false
				}
				stack = stack[:len(stack)-1]
			}
			if len(stack) == 0 {
				spans++
				if start >= 0 {
					read(s[start : i+1])
				} else {
					read(s[:i+1])
				}
			}
		}
	}
	if len(stack) > 0 && start >= 0 && spans < maxGrepped {
		read(s[start:])
	}
	switch len(found) {
	case 0:
		return nil, false
	case 1:
		if v := found[0]; v.kind == jString && v.text == s {
			return nil, false
		}
		return janyOf([]*jvalue{jfixed(found[0])}, s), true
	}
	return janyOf(withList(found, jfixed), s), true
}
