// jsonish.go holds the values a reply is read as before coercion (JSON
// values that know whether the reply ended inside them, plus the readings
// that wrap several candidates) and the strict JSON reader.

package llm

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A jkind says what a jvalue is.
type jkind uint8

const (
	jString jkind = iota + 1
	jNumber
	jBool
	jNull
	jObject
	jArray
	// jAnyOf holds several readings of one text (items), best first; text
	// is the text they were read from.
	jAnyOf
	// jMarkdown is the reading of a ``` fenced block: items[0] is its
	// content's reading, text the fence's language tag.
	jMarkdown
	// jFixed is a reading that needed repairs or was grepped out of prose:
	// items[0] is the value.
	jFixed
)

// A jvalue is one reading of (part of) a reply. Values are immutable once
// built, so that a reading of a growing reply can share its finished parts
// with the reading of the next, longer text.
type jvalue struct {
	kind jkind
	// complete is false when the reply ended inside the value: a string
	// without its closing quote, an object or list without its closing
	// bracket, a bare word or number that ran to the end of an unclosed
	// container. Coercion uses it to report truncated data; a streaming
	// reader uses it to hold numbers and enums back until they are whole.
	complete bool
	text     string    // jString: the contents; jNumber: the literal; jAnyOf: the text read; jMarkdown: the tag
	num      jnumber   // jNumber
	b        bool      // jBool
	keys     []string  // jObject: the keys, in order, duplicates kept (parallel to items)
	items    []*jvalue // jObject: the values; jArray: the elements; jAnyOf: the readings; jMarkdown, jFixed: the value
}

// A jnumber is a number as read: an integer when the literal is one and
// fits in 64 bits (signed, or unsigned when positive), else a float.
type jnumber struct {
	kind numKind
	i    int64
	u    uint64
	f    float64
}

type numKind uint8

const (
	numInt   numKind = iota + 1 // fits int64
	numUint                     // positive, beyond int64, fits uint64
	numFloat                    // anything else
)

// asFloat returns the number as a float64.
func (n jnumber) asFloat() float64 {
	switch n.kind {
	case numInt:
		return float64(n.i)
	case numUint:
		return float64(n.u)
	}
	return n.f
}

// numberFromLiteral reads a JSON-ish number literal (Rust's rules for
// integers and floats: an optional sign, digits, an optional fraction and
// exponent; ".5" and "5." are numbers). ok is false for anything else,
// including infinities and NaN.
func numberFromLiteral(s string) (jnumber, bool) {
	if s == "" {
		return jnumber{}, false
	}
	if isDecimalInt(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return jnumber{kind: numInt, i: i}, true
		}
		if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
			return jnumber{kind: numUint, u: u}, true
		}
	}
	if !isFloatLiteral(s) {
		return jnumber{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeError(err) || math.IsInf(f, 0) || math.IsNaN(f) {
		return jnumber{}, false
	}
	return jnumber{kind: numFloat, f: f}, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// isDecimalInt reports whether s is [+-]digits (strconv also takes "0x10"
// and "1_000", which models do not mean as numbers).
func isDecimalInt(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isFloatLiteral reports whether s is [+-](digits[.digits*]|.digits)([eE][+-]digits).
func isFloatLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Constructors.

func jstr(s string, complete bool) *jvalue {
	return &jvalue{kind: jString, text: s, complete: complete}
}

func jnum(lit string, n jnumber, complete bool) *jvalue {
	return &jvalue{kind: jNumber, text: lit, num: n, complete: complete}
}

func jboolean(b bool) *jvalue { return &jvalue{kind: jBool, b: b, complete: true} }

func jnullValue() *jvalue { return &jvalue{kind: jNull, complete: true} }

func janyOf(cands []*jvalue, text string) *jvalue {
	return &jvalue{kind: jAnyOf, items: cands, text: text, complete: true}
}

func jfixed(v *jvalue) *jvalue {
	return &jvalue{kind: jFixed, items: []*jvalue{v}, complete: v.complete}
}

func jmarkdown(tag string, v *jvalue) *jvalue {
	return &jvalue{kind: jMarkdown, text: tag, items: []*jvalue{v}, complete: v.complete}
}

// inner returns the value a jFixed or jMarkdown wraps.
func (v *jvalue) inner() *jvalue { return v.items[0] }

// display renders a value the way BAML's parser prints it when a string is
// wanted and something else was found: strings bare, objects as
// {key: value, ...}, lists as [a, b]. Deep values are cut at maxDisplayDepth.
func (v *jvalue) display() string {
	var b strings.Builder
	v.writeDisplay(&b, 0)
	return b.String()
}

const maxDisplayDepth = 64

func (v *jvalue) writeDisplay(b *strings.Builder, depth int) {
	if depth > maxDisplayDepth {
		b.WriteString("…")
		return
	}
	switch v.kind {
	case jString:
		b.WriteString(v.text)
	case jNumber:
		b.WriteString(numberText(v.num))
	case jBool:
		b.WriteString(strconv.FormatBool(v.b))
	case jNull:
		b.WriteString("null")
	case jObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteString(": ")
			v.items[i].writeDisplay(b, depth+1)
		}
		b.WriteByte('}')
	case jArray:
		b.WriteByte('[')
		for i, x := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			x.writeDisplay(b, depth+1)
		}
		b.WriteByte(']')
	case jMarkdown:
		b.WriteString(v.text)
		b.WriteByte('\n')
		v.inner().writeDisplay(b, depth+1)
	case jFixed:
		v.inner().writeDisplay(b, depth+1)
	case jAnyOf:
		b.WriteString(v.text)
	}
}

// numberText prints a number as serde_json does: integers in decimal,
// floats in their shortest form with a ".0" on integral values.
func numberText(n jnumber) string {
	switch n.kind {
	case numInt:
		return strconv.FormatInt(n.i, 10)
	case numUint:
		return strconv.FormatUint(n.u, 10)
	}
	s := strconv.FormatFloat(n.f, 'g', -1, 64)
	if a := math.Abs(n.f); a >= 1e-5 && a < 1e16 {
		s = strconv.FormatFloat(n.f, 'f', -1, 64)
	}
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// strictJSON reads s as exactly one JSON value (RFC 8259, surrounding
// whitespace allowed), as serde_json does: ok is false on any syntax
// error, on nesting deeper than maxStrictDepth, and on invalid UTF-8.
// Duplicate keys are kept in order.
func strictJSON(s string) (*jvalue, bool) {
	p := strictParser{s: s}
	p.space()
	if p.i < len(s) && (s[p.i] == '{' || s[p.i] == '[') {
		p.nodes.next = 4 // a first chunk of 4 values; a scalar takes 1
	}
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(s)
}

// maxStrictDepth is serde_json's recursion limit; deeper text is left to
// the repairing reader, which keeps an explicit stack.
const maxStrictDepth = 128

type strictParser struct {
	s     string
	i     int
	nodes slab[jvalue] // the values of the reply
}

// node returns v in a value of the parser's slab.
func (p *strictParser) node(v jvalue) *jvalue {
	n := p.nodes.get()
	*n = v
	return n
}

// A slab hands out values from chunks it allocates, so that the values of
// a reply take a few allocations, not one each. The first chunk holds next
// values (at least one), the next ones double in size up to 64 values, so
// that about half of what they hold goes unused at most.
type slab[T any] struct {
	free []T // what is left of the last chunk
	next int // the size of the next chunk
}

// get returns a zero value from the slab.
func (s *slab[T]) get() *T {
	if len(s.free) == 0 {
		n := max(s.next, 1)
		s.free, s.next = make([]T, n), min(2*n, 64)
	}
	r := &s.free[0]
	s.free = s.free[1:]
	return r
}

func (p *strictParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *strictParser) value(depth int) (*jvalue, bool) {
	if p.i >= len(p.s) || depth > maxStrictDepth {
		return nil, false
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, ok := p.str()
		return p.node(jvalue{kind: jString, text: s, complete: true}), ok
	case c == '-' || isDigit(c):
		return p.number()
	}
	for _, w := range [...]struct {
		lit string
		v   func() *jvalue
	}{{"true", func() *jvalue { return jboolean(true) }}, {"false", func() *jvalue { return jboolean(false) }}, {"null", jnullValue}} {
		if strings.HasPrefix(p.s[p.i:], w.lit) {
			p.i += len(w.lit)
			return w.v(), true
		}
	}
	return nil, false
}

func (p *strictParser) object(depth int) (*jvalue, bool) {
	v := p.node(jvalue{kind: jObject, complete: true, keys: make([]string, 0, 4), items: make([]*jvalue, 0, 4)})
	ok := p.members(func(k string) bool {
		x, ok := p.value(depth + 1)
		if ok {
			v.keys = append(v.keys, k)
			v.items = append(v.items, x)
		}
		return ok
	})
	if !ok {
		return nil, false
	}
	return v, true
}

func (p *strictParser) array(depth int) (*jvalue, bool) {
	v := p.node(jvalue{kind: jArray, complete: true})
	ok := p.elements(']', func() bool {
		x, ok := p.value(depth + 1)
		v.items = append(v.items, x)
		return ok
	})
	if !ok {
		return nil, false
	}
	if v.items == nil {
		v.items = []*jvalue{}
	}
	return v, true
}

// elements reads the comma-separated items of an array or object, from
// its opening bracket at p.i to its closing one, close, calling item at
// the start of each. It is the structure both strictJSON and the fast
// path (exactReader) read.
func (p *strictParser) elements(close byte, item func() bool) bool {
	p.i++ // the opening bracket
	p.space()
	if p.i < len(p.s) && p.s[p.i] == close {
		p.i++
		return true
	}
	for {
		p.space()
		if !item() {
			return false
		}
		p.space()
		if p.i >= len(p.s) {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case close:
			p.i++
			return true
		default:
			return false
		}
	}
}

// members reads the members of an object at p.i, calling member with each
// key once p is at its value.
func (p *strictParser) members(member func(key string) bool) bool {
	return p.elements('}', func() bool {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return false
		}
		k, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return false
		}
		p.i++
		p.space()
		return member(k)
	})
}

// str reads a JSON string at p.i (the opening quote).
func (p *strictParser) str() (string, bool) {
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, utf8.ValidString(s)
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escapedStr finishes a string that holds escapes, from its start.
func (p *strictParser) escapedStr(start int) (string, bool) {
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			s := b.String()
			return s, utf8.ValidString(s)
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", false
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, ok := unicodeEscape(p.s[p.i-2:])
			if !ok {
				return "", false
			}
			b.WriteRune(r)
			p.i += n - 2
		default:
			return "", false
		}
	}
	return "", false
}

// unicodeEscape decodes a \uXXXX escape at the start of s, with its low
// surrogate when it is a high one; n is the number of bytes read. A lone
// surrogate decodes to U+FFFD.
func unicodeEscape(s string) (r rune, n int, ok bool) {
	hi, ok := hex4(s, 2)
	if !ok {
		return 0, 0, false
	}
	if hi < 0xD800 || hi >= 0xE000 {
		return hi, 6, true
	}
	if hi < 0xDC00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if lo, ok := hex4(s, 8); ok && lo >= 0xDC00 && lo < 0xE000 {
			return (hi-0xD800)<<10 + (lo - 0xDC00) + 0x10000, 12, true
		}
	}
	return utf8.RuneError, 6, true
}

func hex4(s string, at int) (rune, bool) {
	if len(s) < at+4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[at:at+4], 16, 32)
	return rune(n), err == nil
}

func (p *strictParser) number() (*jvalue, bool) {
	lit, n, ok := p.numberLit()
	if !ok {
		return nil, false
	}
	return p.node(jvalue{kind: jNumber, text: lit, num: n, complete: true}), true
}

// numberLit reads a JSON number at p.i: its literal and its value.
func (p *strictParser) numberLit() (string, jnumber, bool) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.i < len(p.s) && isDigit(p.s[p.i]):
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	default:
		return "", jnumber{}, false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return "", jnumber{}, false
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			return "", jnumber{}, false
		}
		for p.i < len(p.s) && isDigit(p.s[p.i]) {
			p.i++
		}
	}
	lit := p.s[start:p.i]
	n, ok := numberFromLiteral(lit)
	// Not ok beyond float64's range: serde_json fails too.
	return lit, n, ok
}

// parseNumber reads a decimal number (an option value): an int64 when it is
// an integer in range, else a float64.
func parseNumber(s string) (any, bool) {
	n, ok := numberFromLiteral(s)
	if !ok {
		return nil, false
	}
	if n.kind == numInt {
		return n.i, true
	}
	return n.asFloat(), true
}
