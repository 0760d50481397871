// fixing.go holds the repairing reader: a state machine that reads JSON as
// models write it (unquoted keys and words, single quotes, comments,
// unescaped quotes, missing brackets) the way BAML's "fixing parser" does.

package llm

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// maxNesting bounds the open objects and lists of the repairing reader; a
// reply nested deeper is not read as JSON (it is left to the plain-text
// reading), which keeps memory and time linear on pathological replies.
const maxNesting = 512

var (
	errNoJSON     = errors.New("no JSON value found")
	errTooNested  = errors.New("nesting too deep")
	errNoNonEmpty = errors.New("no object or list among several values")
)

// A frameKind is what an open frame of the repairing reader collects.
type frameKind uint8

const (
	fObject frameKind = iota + 1
	fArray
	fQuoted         // "..."
	fTripleQuoted   // """..."""
	fSingleQuoted   // '...'
	fBacktick       // `...`
	fTripleBacktick // ```...```
	fUnquoted       // a bare word, number, true/false/null
	fLineComment    // // ...
	fBlockComment   // /* ... */
)

// A frame is an open value of the repairing reader.
type frame struct {
	kind  frameKind
	buf   []byte    // string kinds: the text so far
	keys  []string  // fObject
	items []*jvalue // fObject: values; fArray: elements
}

// isKeyPos reports whether an object frame expects a key next.
func (f *frame) isKeyPos() bool { return len(f.keys) == len(f.items) }

// A fixer is the state of the repairing reader over one text. It reads
// forward only, and everything it has finished is immutable: the open
// frames are the whole of its state, so that reading can resume when more
// text arrives (see the package docs on streaming).
type fixer struct {
	s     string
	final bool // s is the whole reply (not a prefix of a streamed one)
	stack []*frame
	done  []*jvalue // values finished at the top level
	names []frameKind
	// quote tracking of the current "..." string (BAML counts the
	// unescaped quotes taken into a string to decide whether a later
	// quote closes it).
	quotes      int
	backslashes int
}

// fixJSON reads s with the repairing reader and returns the values found:
// one value, or, when there are several at the top level, only the objects
// and lists among them.
func fixJSON(s string) ([]*jvalue, error) {
	f := &fixer{s: s, final: true}
	for i := 0; i < len(s); {
		var err error
		if i, err = f.step(i); err != nil {
			return nil, err
		}
	}
	for len(f.stack) > 0 {
		f.finish(false)
	}
	switch len(f.done) {
	case 0:
		return nil, errNoJSON
	case 1:
		return f.done, nil
	}
	var out []*jvalue
	for i, v := range f.done {
		if f.names[i] == fObject || f.names[i] == fArray {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, errNoNonEmpty
	}
	return out, nil
}

func (f *fixer) top() *frame {
	if len(f.stack) == 0 {
		return nil
	}
	return f.stack[len(f.stack)-1]
}

// parent returns the frame below the top one, or nil.
func (f *fixer) parent() *frame {
	if len(f.stack) < 2 {
		return nil
	}
	return f.stack[len(f.stack)-2]
}

// step processes the byte at i and returns where to continue.
func (f *fixer) step(i int) (int, error) {
	c := f.s[i]
	t := f.top()
	if t == nil {
		return f.start(i)
	}
	switch t.kind {
	case fObject:
		switch c {
		case '}':
			f.finish(true)
			return i + 1, nil
		case ',', ':':
			return i + 1, nil
		}
		return f.start(i)
	case fArray:
		switch c {
		case ']':
			f.finish(true)
			return i + 1, nil
		case ',':
			return i + 1, nil
		}
		return f.start(i)
	case fTripleQuoted:
		if c == '"' && (i+1 >= len(f.s) || f.s[i+1] == '"') {
			f.finish(true)
			return min(i+3, len(f.s)), nil
		}
	case fQuoted:
		switch c {
		case '"':
			if f.closesString(i, '"') {
				f.finish(true)
				return i + 1, nil
			}
		case '\\':
			return f.escape(i), nil
		}
	case fSingleQuoted:
		if c == '\'' && f.closesString(i, '\'') {
			f.finish(true)
			return i + 1, nil
		}
	case fBacktick:
		if c == '`' && f.closesString(i, '`') {
			f.finish(true)
			return i + 1, nil
		}
	case fTripleBacktick:
		if strings.HasPrefix(f.s[i:], "```") {
			f.finish(true)
			return i + 3, nil
		}
	case fUnquoted:
		f.consume(c)
		return f.closeUnquoted(i + 1), nil
	case fLineComment:
		if c == '\n' {
			f.finish(true)
			return i + 1, nil
		}
	case fBlockComment:
		if c == '*' && i+1 < len(f.s) && f.s[i+1] == '/' {
			f.finish(true)
			return i + 2, nil
		}
	}
	f.consume(c)
	return i + 1, nil
}

// consume appends c to the open string.
func (f *fixer) consume(c byte) {
	t := f.top()
	if t.kind == fQuoted {
		if c == '\\' {
			f.backslashes++
		} else {
			if c == '"' && f.backslashes%2 == 0 {
				f.quotes++
			}
			f.backslashes = 0
		}
	}
	t.buf = append(t.buf, c)
}

// escape handles a backslash in a "..." string: the JSON escapes become
// their characters (\uXXXX included); any other backslash stays as is.
func (f *fixer) escape(i int) int {
	if i+1 >= len(f.s) {
		f.consume('\\')
		return i + 1
	}
	switch e := f.s[i+1]; e {
	case 'n':
		f.consume('\n')
	case 't':
		f.consume('\t')
	case 'r':
		f.consume('\r')
	case 'b':
		f.consume('\b')
	case 'f':
		f.consume('\f')
	case '\\', '"':
		f.consume(e)
	case 'u':
		r, n, ok := unicodeEscape(f.s[i:])
		if !ok {
			f.consume('\\')
			return i + 1
		}
		t := f.top()
		t.buf = utf8.AppendRune(t.buf, r)
		f.backslashes = 0
		return i + n
	default:
		f.consume('\\')
		return i + 1
	}
	return i + 2
}

// start begins a value at i (or skips what cannot begin one).
func (f *fixer) start(i int) (int, error) {
	c := f.s[i]
	switch c {
	case '{', '[':
		if len(f.stack) >= maxNesting {
			return 0, errTooNested
		}
		k := fObject
		if c == '[' {
			k = fArray
		}
		f.push(k)
		return i + 1, nil
	case '"':
		if strings.HasPrefix(f.s[i+1:], `""`) {
			f.push(fTripleQuoted)
			return i + 3, nil
		}
		f.quotes, f.backslashes = 0, 0
		f.push(fQuoted)
		return i + 1, nil
	case '\'':
		f.push(fSingleQuoted)
		return i + 1, nil
	case '`':
		if strings.HasPrefix(f.s[i+1:], "``") {
			f.push(fTripleBacktick)
			return i + 3, nil
		}
		f.push(fBacktick)
		return i + 1, nil
	case '/':
		if i+1 < len(f.s) && f.s[i+1] == '/' {
			f.push(fLineComment)
			return i + 2, nil
		}
		if i+1 < len(f.s) && f.s[i+1] == '*' {
			f.push(fBlockComment)
			return i + 2, nil
		}
		if t := f.top(); t != nil && t.kind == fObject {
			f.push(fUnquoted)
			f.consume(c) // a path, perhaps; it is not checked for its end yet
		}
		return i + 1, nil
	}
	if isSpaceByte(c) {
		return i + 1, nil
	}
	f.push(fUnquoted)
	f.consume(c)
	return f.closeUnquoted(i + 1), nil
}

func (f *fixer) push(k frameKind) {
	fr := &frame{kind: k}
	if k == fArray {
		fr.items = []*jvalue{}
	}
	f.stack = append(f.stack, fr)
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// closeUnquoted reads the rest of a bare word from j, as far as its
// position allows (to '{' or '[' at the top level, to ':' in a key, to ',' or
// '}' in an object value, to ',' or ']' in a list), finishes it, and
// returns where to continue: at the character that ended it, which is then
// read again in its container.
func (f *fixer) closeUnquoted(j int) int {
	p := f.parent()
	stop := func(c byte) bool { return c == '{' || c == '[' }
	switch {
	case p == nil:
	case p.kind == fObject && p.isKeyPos():
		stop = func(c byte) bool { return c == ':' }
	case p.kind == fObject:
		return f.closeUnquotedValue(j)
	case p.kind == fArray:
		stop = func(c byte) bool { return c == ',' || c == ']' }
	default:
		return j
	}
	for k := j; k < len(f.s); k++ {
		if stop(f.s[k]) {
			f.finish(true)
			return k
		}
		f.consume(f.s[k])
	}
	return f.finishAtEnd()
}

// finishAtEnd finishes a bare word that ran to the end of the text: in a
// container the reply was cut off inside it; at the top level it is whole
// when the text is (a streamed text may go on).
func (f *fixer) finishAtEnd() int {
	f.finish(f.final && len(f.stack) == 1)
	return len(f.s)
}

// closeUnquotedValue reads the rest of a bare word that is an object's
// value. A comma ends it when what follows looks like the next entry: a
// newline, a quote or a comment, or a space when the word so far is a
// number, true, false, null or a single identifier; otherwise the comma is
// part of the text ("Paris, France").
func (f *fixer) closeUnquotedValue(j int) int {
	for k := j; k < len(f.s); k++ {
		c := f.s[k]
		switch c {
		case '}':
			f.finish(true)
			return k
		case ',':
			if end, ok := f.commaEndsValue(k); ok {
				f.finish(true)
				return k
			} else if end > k+1 {
				for ; k < end; k++ {
					f.consume(f.s[k])
				}
				k--
				continue
			}
		}
		f.consume(c)
	}
	return f.finishAtEnd()
}

// commaEndsValue decides whether the comma at k ends a bare object value;
// when it does not, end is how far the text was looked at (the comma and
// the spaces after it, taken into the word).
func (f *fixer) commaEndsValue(k int) (end int, ok bool) {
	if k+1 >= len(f.s) {
		return k, true
	}
	switch f.s[k+1] {
	case '\n':
		return k, true
	case ' ':
	default:
		return k + 1, false
	}
	if isPossibleValue(string(f.top().buf)) {
		return k, true
	}
	seen := false
	m := k + 1
	for ; m < len(f.s); m++ {
		c := f.s[m]
		seen = seen || !isSpaceByte(c)
		switch c {
		case ' ':
			continue
		case '\n':
			if !seen {
				return k, true
			}
			continue
		case '/':
			if m+1 < len(f.s) && (f.s[m+1] == '/' || f.s[m+1] == '*') {
				return k, true
			}
			continue
		case '"':
			return k, true
		}
		return m + 1, false
	}
	return m, false
}

// isPossibleValue reports whether a bare value so far is a number, a
// boolean, null, or a word without spaces or parentheses.
func isPossibleValue(s string) bool {
	t := strings.TrimSpace(s)
	if _, ok := numberFromLiteral(t); ok || isRustFloatWord(t) {
		return true
	}
	if strings.EqualFold(t, "true") || strings.EqualFold(t, "false") || strings.EqualFold(t, "null") {
		return true
	}
	return !strings.ContainsAny(s, " (")
}

// isRustFloatWord reports whether Rust's float parser takes s (inf,
// infinity, nan in any case, with a sign).
func isRustFloatWord(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity") || strings.EqualFold(s, "nan")
}

// closesString decides whether the quote q at i closes the open string,
// from what follows it and where the string is: models forget to escape
// quotes inside strings, so a quote closes only when a separator that fits
// the position follows (possibly after spaces), or the text ends.
func (f *fixer) closesString(i int, q byte) bool {
	p := f.parent()
	var hasParent, inKey, inValue, inArray bool
	if p != nil {
		hasParent = true
		switch {
		case p.kind == fObject && p.isKeyPos():
			inKey = true
		case p.kind == fObject:
			inValue, inArray = true, true // as BAML: a value also closes on ']'
		case p.kind == fArray:
			inArray = true
		}
	}
	if i+1 >= len(f.s) {
		return true
	}
	quotes := 0
	if q == '"' && f.top().kind == fQuoted {
		quotes = f.quotes
	}
	switch c := f.s[i+1]; {
	case (c == ':' || c == '}') && inKey:
		return true
	case c == ',' && (inValue || inArray):
		return quotes%2 == 0
	case c == '}' && inValue:
		return true
	case c == ']' && inArray:
		return true
	case c == ' ' || c == '\t' || c == '\n':
		return f.closesAfterSpace(i+1, inKey, inValue, inArray)
	case c == q:
		return false
	case c == '{' || c == '"' || c == '\'' || c == '[':
		return !hasParent
	}
	return false
}

// closesAfterSpace looks past the spaces after a quote for a separator.
func (f *fixer) closesAfterSpace(j int, inKey, inValue, inArray bool) bool {
	for ; j < len(f.s); j++ {
		switch c := f.s[j]; {
		case c == ' ' || c == '\t' || c == '\n':
			continue
		case c == '}' && (inKey || inValue):
			return true
		case c == ':' && inKey:
			return true
		case c == ',' && (inValue || inArray):
			return true
		case c == ']' && inArray:
			return true
		case c == '/':
			return j+1 < len(f.s) && (f.s[j+1] == '/' || f.s[j+1] == '*')
		default:
			return false
		}
	}
	return true
}

// finish closes the top frame; closed says whether its closing character
// was seen (else the text ended inside it).
func (f *fixer) finish(closed bool) {
	t := f.stack[len(f.stack)-1]
	f.stack = f.stack[:len(f.stack)-1]
	v := t.value(closed)
	if v == nil {
		return // a comment
	}
	if closed {
		v.completeDeeply()
	}
	p := f.top()
	switch {
	case p == nil:
		f.done = append(f.done, v)
		f.names = append(f.names, t.kind)
	case p.kind == fObject && p.isKeyPos():
		if v.kind == jString {
			p.keys = append(p.keys, v.text)
		} else {
			p.keys = append(p.keys, v.display())
		}
	case p.kind == fObject || p.kind == fArray:
		p.items = append(p.items, v)
	}
}

// value converts a closed frame to its value (nil for a comment).
func (t *frame) value(closed bool) *jvalue {
	switch t.kind {
	case fObject:
		n := min(len(t.keys), len(t.items)) // a key without a value is dropped
		return &jvalue{kind: jObject, keys: t.keys[:n], items: t.items[:n], complete: closed}
	case fArray:
		return &jvalue{kind: jArray, items: t.items, complete: closed}
	case fUnquoted:
		return bareWord(strings.TrimSpace(string(t.buf)), closed)
	case fLineComment, fBlockComment:
		return nil
	case fTripleQuoted:
		return jstr(strings.TrimSpace(dedent(string(t.buf))), closed)
	case fTripleBacktick:
		s := string(t.buf)
		if _, code, ok := strings.Cut(s, "\n"); ok {
			s = code // the first line is the language tag
		}
		return jstr(strings.TrimSpace(dedent(s)), closed)
	}
	return jstr(string(t.buf), closed)
}

// bareWord reads an unquoted word: true, false, null, a number, or else a
// string. Python's True/False/None and JavaScript's undefined stay strings,
// as in BAML (coercion to bool still reads "True").
func bareWord(w string, complete bool) *jvalue {
	switch w {
	case "true":
		return jboolean(true)
	case "false":
		return jboolean(false)
	case "null":
		return jnullValue()
	}
	if n, ok := numberFromLiteral(w); ok {
		return jnum(w, n, complete)
	}
	return jstr(w, complete)
}
