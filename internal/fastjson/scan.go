// Package fastjson holds fast paths for encoding/json where bex reads and
// writes JSON per call or per event, each held to encoding/json's results
// by tests and fuzz targets:
//
//   - a strict Scanner for decoders made for one format (the JSONL trace
//     reader, the LLM reply readers). Such a decoder walks the document,
//     takes what it knows and gives up on anything else — it then hands the
//     document to encoding/json, which stays the authority on what the
//     document means and on what is wrong with it. The Scanner accepts only
//     what encoding/json accepts (RFC 8259 syntax, nesting at most 10,000
//     deep) and decodes strings as encoding/json decodes them (escapes,
//     surrogate pairs, invalid UTF-8 and unpaired surrogates as U+FFFD). Its
//     methods report false on malformed input and leave the position where
//     the fault was; a decoder then stops.
//   - Append, which writes plain Go values (strings, numbers, booleans,
//     []any, map[string]any) byte for byte as json.Marshal writes them.
package fastjson

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is encoding/json's limit on nesting.
const MaxDepth = 10000

// maxScratch bounds the string scratch space kept between documents.
const maxScratch = 1 << 20

// A Scanner reads one JSON document at a time. It is not safe for
// concurrent use.
type Scanner struct {
	b     []byte
	i     int
	depth int
	buf   []byte // unescaped string contents
}

// Reset starts reading b.
func (s *Scanner) Reset(b []byte) {
	s.b, s.i, s.depth = b, 0, 0
	if cap(s.buf) > maxScratch {
		s.buf = nil // a long string's scratch space is not kept
	}
}

// Rest returns the bytes not read yet.
func (s *Scanner) Rest() []byte { return s.b[s.i:] }

// Advance skips n bytes of Rest.
func (s *Scanner) Advance(n int) { s.i += n }

// WS skips white space.
func (s *Scanner) WS() {
	for s.i < len(s.b) && s.b[s.i] <= ' ' {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the next byte after white space, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.WS()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// Consume consumes c if it comes next (after white space).
func (s *Scanner) Consume(c byte) bool {
	s.WS()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// End reports whether only white space is left.
func (s *Scanner) End() bool {
	s.WS()
	return s.i == len(s.b)
}

// open consumes c, which starts an object or an array, within MaxDepth.
func (s *Scanner) open(c byte) bool {
	if !s.Consume(c) {
		return false
	}
	s.depth++
	return s.depth <= MaxDepth
}

// Object calls member for each key of an object, positioned at the key's
// value, which member must consume. The key is valid until the next string
// is read.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.open('{') {
		return false
	}
	if !s.Consume('}') {
		for {
			key, ok := s.Str()
			if !ok || !s.Consume(':') || !member(key) {
				return false
			}
			if s.Consume('}') {
				break
			}
			if !s.Consume(',') {
				return false
			}
		}
	}
	s.depth--
	return true
}

// Array calls elem for each element of an array; elem must consume it.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.open('[') {
		return false
	}
	if !s.Consume(']') {
		for {
			if !elem() {
				return false
			}
			if s.Consume(']') {
				break
			}
			if !s.Consume(',') {
				return false
			}
		}
	}
	s.depth--
	return true
}

// A KeySet is the keys of one kind of object, in the order its writer
// writes them. Members predicts each key by comparing the bytes ahead with
// the next keys of the set, `"key":` whole, instead of reading it as a
// string.
type KeySet struct {
	names  []string
	quoted []string // `"name":`
}

// NewKeySet returns the key set of names (at most 32).
func NewKeySet(names ...string) *KeySet {
	if len(names) > 32 {
		panic("fastjson: more than 32 keys")
	}
	ks := &KeySet{names: names}
	for _, n := range names {
		ks.quoted = append(ks.quoted, `"`+n+`":`)
	}
	return ks
}

// Members reads an object whose keys are in ks, calling member with the
// index of each key, positioned at its value, which member must consume.
// It returns the set of keys seen (bit i for the i-th name). It fails on a
// duplicate key and on a key that encoding/json would match to one of ks
// only case-insensitively; other keys are skipped.
func (s *Scanner) Members(ks *KeySet, member func(k int) bool) (seen uint32, ok bool) {
	if !s.open('{') {
		return 0, false
	}
	if !s.Consume('}') {
		next := 0
		for {
			k := s.predict(ks, next)
			if k < 0 {
				if k, ok = s.lookup(ks); !ok {
					return 0, false
				}
			}
			switch {
			case k < 0:
				if !s.Skip() {
					return 0, false
				}
			case seen&(1<<k) != 0 || !member(k):
				return 0, false
			default:
				seen |= 1 << k
				next = k + 1
			}
			if s.Consume('}') {
				break
			}
			if !s.Consume(',') {
				return 0, false
			}
		}
	}
	s.depth--
	return seen, true
}

// predict consumes `"key":` if it is next and one of ks's keys from index
// from on, and returns the key's index, else -1.
func (s *Scanner) predict(ks *KeySet, from int) int {
	s.WS()
	rest := s.b[s.i:]
	if len(rest) < 2 {
		return -1
	}
	for k := from; k < len(ks.quoted); k++ {
		q := ks.quoted[k]
		if rest[1] == q[1] && len(rest) >= len(q) && string(rest[:len(q)]) == q {
			s.i += len(q)
			return k
		}
	}
	return -1
}

// lookup consumes a key and its colon and returns the key's index in ks,
// or -1 for a key ks does not hold. It fails on malformed JSON and on a
// key that encoding/json would match to one of ks case-insensitively.
func (s *Scanner) lookup(ks *KeySet) (int, bool) {
	key, ok := s.Str()
	if !ok || !s.Consume(':') {
		return 0, false
	}
	for k, n := range ks.names {
		if string(key) == n {
			return k, true
		}
	}
	for _, n := range ks.names {
		if strings.EqualFold(string(key), n) {
			return 0, false
		}
	}
	return -1, true
}

// Skip validates and skips one value.
func (s *Scanner) Skip() bool {
	switch c := s.Peek(); {
	case c == '"':
		return s.skipString()
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := s.Number()
		return ok
	case c == '[':
		return s.Array(s.Skip)
	case c == '{':
		return s.Object(func([]byte) bool { return s.Skip() })
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Literal("null")
	}
	return false
}

// skipString validates and skips a string without decoding it: encoding/json
// accepts any bytes but control characters, and valid escapes.
func (s *Scanner) skipString() bool {
	b := s.b
	for j := s.i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(b) {
				return false
			}
			j++
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if getu4(b[j-1:]) < 0 {
					return false
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// Literal consumes lit (true, false or null) if it comes next.
func (s *Scanner) Literal(lit string) bool {
	s.WS()
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// Null consumes a null if one comes next.
func (s *Scanner) Null() bool {
	return s.Peek() == 'n' && s.Literal("null")
}

// Bool reads true or false.
func (s *Scanner) Bool() (v, ok bool) {
	if s.Peek() == 't' {
		return true, s.Literal("true")
	}
	return false, s.Literal("false")
}

// Number reads a JSON number and reports whether it is an integer (no
// fraction, no exponent).
func (s *Scanner) Number() (raw []byte, isInt, ok bool) {
	s.WS()
	b, i := s.b, s.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return nil, false, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return b[start:i], isInt, true
}

// Int reads a number that must be an int64, as strconv.ParseInt takes it:
// a JSON integer in range.
func (s *Scanner) Int() (int64, bool) {
	s.WS()
	b, i := s.b, s.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	start := i
	var n uint64
	for i < len(b) && b[i]-'0' <= 9 {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	switch digits := i - start; {
	case digits == 0 || digits > 19 || digits > 1 && b[start] == '0':
		return 0, false // not JSON, or out of range (19 digits fit in n)
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, false
	}
	s.i = i
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// ParseInt parses the digits of a JSON integer (from Number), failing on
// overflow.
func ParseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 19 { // JSON integers have no leading zeros
		return 0, false
	}
	var n uint64 // 19 digits fit
	for _, c := range b {
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// Str reads a string and returns its contents, unescaped as encoding/json
// unescapes them. The slice is valid until the next string is read.
func (s *Scanner) Str() ([]byte, bool) {
	s.WS()
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	j := start
	for j+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[j:])
		if m := specialBytes(x); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			break
		}
		j += 8
	}
	for j < len(b) && strPlain[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		s.i = j + 1
		return b[start:j], true
	}
	return s.unquote(start)
}

// specialBytes returns the high bit of each byte of x (eight bytes of a
// string) that is '"', '\\', a control character or not ASCII. Borrows may
// set bits above the lowest such byte too, never below it.
func specialBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(ones*'"'), x^(ones*'\\')
	return ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x | x) & highs
}

// strPlain holds the bytes that stand for themselves in a string: ASCII
// other than control characters, '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unquote decodes a string with escapes or non-ASCII bytes starting at
// start, as encoding/json does: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
func (s *Scanner) unquote(start int) ([]byte, bool) {
	b, out := s.b, s.buf[:0]
	if cap(out) == 0 {
		// One buffer for this and the later strings, rather than
		// append's doubling from nothing.
		out = make([]byte, 0, min(len(b)-start, 512))
	}
	for j := start; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			s.i, s.buf = j+1, out
			return out, true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if j+1 >= len(b) {
				return nil, false
			}
			j += 2
			switch b[j-1] {
			case '"', '\\', '/':
				out = append(out, b[j-1])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := getu4(b[j-2:])
				if r < 0 {
					return nil, false
				}
				j += 4
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, getu4(b[j:])); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						j += 6
						continue
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			j++
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, b[j:j+size]...)
			}
			j += size
		}
	}
	return nil, false
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		v := Unhex[c]
		if v > 0xf {
			return -1
		}
		r = r<<4 | rune(v)
	}
	return r
}

// Unhex maps hex digits (of either case) to their values, and every other
// byte to 0xff.
var Unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// Names returns the keys of ks, in order.
func (ks *KeySet) Names() []string { return ks.names }
