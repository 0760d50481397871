// fixing.go holds the repairing reader: a state machine that reads JSON as
// models write it (unquoted keys and words, single quotes, comments,
// unescaped quotes, missing brackets) the way BAML's "fixing parser" does,
// and that can be fed a reply in pieces.

package llm

import (
	"bytes"
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
	id    uint32    // distinct for every frame pushed, so that a reader of the stack can tell a new frame from an old one
	buf   []byte    // string kinds: the text so far
	keys  []string  // fObject
	items []*jvalue // fObject: values; fArray: elements
	// takeNext: an fUnquoted frame takes its next byte whatever it is
	// (a word that began with '/' in an object, as in BAML).
	takeNext bool
}

// isKeyPos reports whether an object frame expects a key next.
func (f *frame) isKeyPos() bool { return len(f.keys) == len(f.items) }

// A fixer is the state of the repairing reader. It reads forward only:
// feed gives it more text and it reads as far as it can decide; finish
// says the text is complete. The open frames (and the quote counts of an
// open string) are the whole of its state, and every value it has
// finished is immutable, so that the readings of a growing reply can share
// what they have in common (see "Output parsing" in the package docs).
type fixer struct {
	s     []byte // the text so far
	i     int    // where reading resumes
	final bool   // s is the whole text
	err   error
	stack []frame   // the open values, outermost first
	done  []*jvalue // values finished at the top level
	// scratch holds the text of the open string, word or comment (they do
	// not nest, so one buffer serves them all).
	scratch []byte
	names   []frameKind
	// quote tracking of the current "..." string (BAML counts the
	// unescaped quotes taken into a string to decide whether a later
	// quote closes it).
	quotes      int
	backslashes int
	// stalled: reading stopped at i because what the byte there means
	// depends on text that has not arrived yet.
	stalled bool
	pushes  uint32 // frames pushed so far (the next frame's id)
}

// fixJSON reads s with the repairing reader and returns the values found:
// one value, or, when there are several at the top level, only the objects
// and lists among them.
func fixJSON(s string) ([]*jvalue, error) {
	var f fixer
	f.feed(s)
	return f.finish()
}

// feed appends text and reads it, up to where the meaning of a byte
// depends on text not given yet.
func (f *fixer) feed(text string) {
	f.s = append(f.s, text...)
	f.read()
}

// finish reads the rest of the text as the whole reply, closes the open
// values (the reply ended inside them) and returns the values found.
func (f *fixer) finish() ([]*jvalue, error) {
	f.final = true
	f.read()
	if f.err != nil {
		return nil, f.err
	}
	if t := f.top(); t != nil && t.kind == fUnquoted {
		f.endOfWord() // a word the text ended in
	}
	for len(f.stack) > 0 {
		f.close(false)
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

func (f *fixer) read() {
	f.stalled = false
	for f.err == nil && f.i < len(f.s) && !f.stalled {
		f.i = f.step(f.i)
	}
}

// stall stops reading at i until more text arrives.
func (f *fixer) stall(i int) int {
	f.stalled = true
	return i
}

// more reports whether the text may go on beyond the bytes read so far.
func (f *fixer) more() bool { return !f.final }

// pending reports whether s[i:] is a proper prefix of want at the end of a
// text that may go on: the byte at i cannot be decided yet.
func (f *fixer) pending(i int, want string) bool {
	rest := f.s[i:]
	return f.more() && len(rest) < len(want) && want[:len(rest)] == string(rest)
}

// top returns the innermost open frame, or nil. The pointer is good until
// the next push.
func (f *fixer) top() *frame {
	if len(f.stack) == 0 {
		return nil
	}
	return &f.stack[len(f.stack)-1]
}

// parent returns the frame below the top one, or nil.
func (f *fixer) parent() *frame {
	if len(f.stack) < 2 {
		return nil
	}
	return &f.stack[len(f.stack)-2]
}

// hasPrefix reports whether s[i:] starts with p.
func (f *fixer) hasPrefix(i int, p string) bool {
	return len(f.s)-i >= len(p) && string(f.s[i:i+len(p)]) == p
}

// step processes the byte at i and returns where to continue (or where it
// stalled).
func (f *fixer) step(i int) int {
	c := f.s[i]
	t := f.top()
	if t == nil {
		return f.start(i)
	}
	switch t.kind {
	case fObject:
		switch c {
		case '}':
			f.close(true)
			return i + 1
		case ',', ':':
			return i + 1
		}
		return f.start(i)
	case fArray:
		switch c {
		case ']':
			f.close(true)
			return i + 1
		case ',':
			return i + 1
		}
		return f.start(i)
	case fTripleQuoted:
		if c != '"' {
			return f.run(i, "\"")
		}
		if i+3 > len(f.s) && f.more() {
			return f.stall(i) // the closing quotes (and what they skip) have not all arrived
		}
		if i+1 >= len(f.s) || f.s[i+1] == '"' {
			f.close(true)
			return min(i+3, len(f.s))
		}
	case fQuoted:
		switch c {
		default:
			return f.run(i, "\"\\")
		case '"':
			switch f.closesString(i, '"') {
			case closeYes:
				f.close(true)
				return i + 1
			case closeWait:
				return f.stall(i)
			}
		case '\\':
			return f.escape(i)
		}
	case fSingleQuoted, fBacktick:
		q := quoteOf(t.kind)
		if c != q {
			return f.run(i, string(q))
		}
		switch f.closesString(i, q) {
		case closeYes:
			f.close(true)
			return i + 1
		case closeWait:
			return f.stall(i)
		}
	case fTripleBacktick:
		if c != '`' {
			return f.run(i, "`")
		}
		if f.pending(i, "```") {
			return f.stall(i)
		}
		if f.hasPrefix(i, "```") {
			f.close(true)
			return i + 3
		}
	case fUnquoted:
		if t.takeNext {
			t.takeNext = false
			f.consume(c)
			return f.closeUnquoted(i + 1)
		}
		return f.closeUnquoted(i)
	case fLineComment:
		if c == '\n' {
			f.close(true)
			return i + 1
		}
		return f.skip(i, "\n")
	case fBlockComment:
		if c != '*' {
			return f.skip(i, "*")
		}
		if f.pending(i, "*/") {
			return f.stall(i)
		}
		if f.hasPrefix(i, "*/") {
			f.close(true)
			return i + 2
		}
	}
	f.consume(c)
	return i + 1
}

// run takes the bytes from i up to the next of stops (or the end) into the
// open string, and returns where it stopped. The bytes hold no backslash
// or quote, so the quote counts only see that the run ends any backslashes.
func (f *fixer) run(i int, stops string) int {
	j := f.next(i+1, stops)
	t := f.top()
	t.buf = append(t.buf, f.s[i:j]...)
	f.backslashes = 0
	return j
}

// skip passes the bytes of a comment from i up to the next of stops.
func (f *fixer) skip(i int, stops string) int { return f.next(i+1, stops) }

// next returns the index of the first of stops at or after i, or the end.
func (f *fixer) next(i int, stops string) int {
	var k int
	if len(stops) == 1 {
		k = bytes.IndexByte(f.s[i:], stops[0])
	} else {
		k = bytes.IndexAny(f.s[i:], stops)
	}
	if k < 0 {
		return len(f.s)
	}
	return i + k
}

func quoteOf(k frameKind) byte {
	if k == fBacktick {
		return '`'
	}
	return '\''
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
		if f.more() {
			return f.stall(i)
		}
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
		// An escape whose hex digits have not all arrived, or a high
		// surrogate whose low half may follow, waits for more text.
		if f.more() && len(f.s)-i < 12 {
			return f.stall(i)
		}
		r, n, ok := unicodeEscape(string(f.s[i:min(i+12, len(f.s))]))
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
func (f *fixer) start(i int) int {
	c := f.s[i]
	switch c {
	case '{', '[':
		if len(f.stack) >= maxNesting {
			f.err = errTooNested
			return len(f.s)
		}
		k := fObject
		if c == '[' {
			k = fArray
		}
		f.push(k)
		return i + 1
	case '"':
		if f.pending(i+1, `""`) {
			return f.stall(i)
		}
		if f.hasPrefix(i+1, `""`) {
			f.push(fTripleQuoted)
			return i + 3
		}
		f.quotes, f.backslashes = 0, 0
		f.push(fQuoted)
		return i + 1
	case '\'':
		f.push(fSingleQuoted)
		return i + 1
	case '`':
		if f.pending(i+1, "``") {
			return f.stall(i)
		}
		if f.hasPrefix(i+1, "``") {
			f.push(fTripleBacktick)
			return i + 3
		}
		f.push(fBacktick)
		return i + 1
	case '/':
		if i+1 >= len(f.s) && f.more() {
			return f.stall(i)
		}
		if f.hasPrefix(i+1, "/") {
			f.push(fLineComment)
			return i + 2
		}
		if f.hasPrefix(i+1, "*") {
			f.push(fBlockComment)
			return i + 2
		}
		if t := f.top(); t != nil && t.kind == fObject {
			f.push(fUnquoted)
			f.consume(c)
			f.top().takeNext = true // a path, perhaps; BAML takes its next byte unchecked
		}
		return i + 1
	}
	if isSpaceByte(c) {
		return i + 1
	}
	f.push(fUnquoted)
	f.consume(c)
	return f.closeUnquoted(i + 1)
}

func (f *fixer) push(k frameKind) {
	f.pushes++
	fr := frame{kind: k, id: f.pushes}
	switch k {
	case fArray:
		fr.items = []*jvalue{}
	case fObject:
	default:
		fr.buf = f.scratch[:0]
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
// read again in its container. At the end of a text that may go on, the
// word stays open.
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
			f.close(true)
			return k
		}
		f.consume(f.s[k])
	}
	return f.endOfWord()
}

// endOfWord handles a bare word that ran to the end of the text read so
// far: it stays open when the text may go on; else it ends there, whole at
// the top level, cut off in a container.
func (f *fixer) endOfWord() int {
	if !f.more() {
		f.close(len(f.stack) == 1)
	}
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
			f.close(true)
			return k
		case ',':
			end, how := f.commaEndsValue(k)
			switch how {
			case closeYes:
				f.close(true)
				return k
			case closeWait:
				return f.stall(k) // the word stays open; the comma is read again
			}
			for ; k < end-1; k++ {
				f.consume(f.s[k])
			}
			c = f.s[k]
		}
		f.consume(c)
	}
	return f.endOfWord()
}

// A closeDecision says whether a quote or comma closes the open value.
type closeDecision uint8

const (
	closeNo closeDecision = iota
	closeYes
	closeWait // the text that decides has not arrived
)

func decide(b bool) closeDecision {
	if b {
		return closeYes
	}
	return closeNo
}

// commaEndsValue decides whether the comma at k ends a bare object value;
// when it does not, the bytes before end (the comma and what was looked at
// after it) belong to the word.
func (f *fixer) commaEndsValue(k int) (end int, how closeDecision) {
	if k+1 >= len(f.s) {
		if f.more() {
			return k, closeWait
		}
		return k, closeYes
	}
	switch f.s[k+1] {
	case '\n':
		return k, closeYes
	case ' ':
	default:
		return k + 1, closeNo
	}
	if isPossibleValue(string(f.top().buf)) {
		return k, closeYes
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
				return k, closeYes
			}
			continue
		case '/':
			if m+1 >= len(f.s) && f.more() {
				return k, closeWait
			}
			if m+1 < len(f.s) && (f.s[m+1] == '/' || f.s[m+1] == '*') {
				return k, closeYes
			}
			continue
		case '"':
			return k, closeYes
		}
		return m + 1, closeNo
	}
	if f.more() {
		return k, closeWait
	}
	return m, closeNo
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
func (f *fixer) closesString(i int, q byte) closeDecision {
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
		if f.more() {
			return closeWait
		}
		return closeYes
	}
	quotes := 0
	if q == '"' && f.top().kind == fQuoted {
		quotes = f.quotes
	}
	switch c := f.s[i+1]; {
	case (c == ':' || c == '}') && inKey:
		return closeYes
	case c == ',' && (inValue || inArray):
		return decide(quotes%2 == 0)
	case c == '}' && inValue:
		return closeYes
	case c == ']' && inArray:
		return closeYes
	case c == ' ' || c == '\t' || c == '\n':
		return f.closesAfterSpace(i+1, inKey, inValue, inArray)
	case c == q:
		return closeNo
	case c == '{' || c == '"' || c == '\'' || c == '[':
		return decide(!hasParent)
	}
	return closeNo
}

// closesAfterSpace looks past the spaces after a quote for a separator.
func (f *fixer) closesAfterSpace(j int, inKey, inValue, inArray bool) closeDecision {
	for ; j < len(f.s); j++ {
		switch c := f.s[j]; {
		case c == ' ' || c == '\t' || c == '\n':
			continue
		case c == '}' && (inKey || inValue):
			return closeYes
		case c == ':' && inKey:
			return closeYes
		case c == ',' && (inValue || inArray):
			return closeYes
		case c == ']' && inArray:
			return closeYes
		case c == '/':
			if j+1 < len(f.s) {
				return decide(f.s[j+1] == '/' || f.s[j+1] == '*')
			}
			if f.more() {
				return closeWait
			}
			return closeNo
		default:
			return closeNo
		}
	}
	if f.more() {
		return closeWait
	}
	return closeYes // the text ends: the string with it
}

// close closes the top frame; closed says whether its closing character
// was seen (else the text ended inside it).
func (f *fixer) close(closed bool) {
	t := f.stack[len(f.stack)-1]
	f.stack[len(f.stack)-1] = frame{}
	f.stack = f.stack[:len(f.stack)-1]
	v := t.value(closed)
	if t.buf != nil {
		f.scratch = t.buf[:0] // keep the grown buffer for the next string
	}
	if v == nil {
		return // a comment
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
