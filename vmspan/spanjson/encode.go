// encode.go holds the value encoder and its string and float writers.

package spanjson

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
)

// TruncatedMarker ends a value cut at Encoder.Limit.
const TruncatedMarker = "...[truncated]"

// An Encoder writes values in the form its fields choose; the zero Encoder
// writes the trace form, unredacted and uncut. An Encoder is a small value,
// safe to copy and to use from several goroutines.
type Encoder struct {
	// Prompt selects the prompt form (see the package documentation).
	Prompt bool
	// Redact writes vmspan.Redacted for the value of every argument, map
	// key and class field whose name vmspan.IsSecretKey reports as secret.
	Redact bool
	// Limit, when positive, cuts the output of one call at Limit bytes
	// (see Truncate).
	Limit int
}

// AppendValue appends v in the trace form (the zero Encoder).
func AppendValue(b []byte, v any) []byte {
	w := writer{buf: b}
	w.value(v)
	return w.buf
}

// AppendValue appends v and returns the extended buffer.
func (enc Encoder) AppendValue(b []byte, v any) []byte {
	w := writer{buf: b, start: len(b), enc: enc}
	w.value(v)
	return w.done()
}

// AppendArgs appends named arguments as one object, name to value, in
// their declaration order (in either form).
func (enc Encoder) AppendArgs(b []byte, args []vmspan.Arg) []byte {
	w := writer{buf: b, start: len(b), enc: enc}
	w.fields(args)
	return w.done()
}

// A writer is the state of one Encoder call.
type writer struct {
	buf   []byte
	start int // where this call's output starts in buf
	enc   Encoder
}

// full reports whether the output has passed the limit: the rest of the
// value is not written.
func (w *writer) full() bool { return w.enc.Limit > 0 && len(w.buf)-w.start > w.enc.Limit }

// done cuts the output at the limit.
func (w *writer) done() []byte {
	if w.enc.Limit <= 0 {
		return w.buf
	}
	// Truncate cuts in place: its result starts where the output does.
	return w.buf[:w.start+len(Truncate(w.buf[w.start:], w.enc.Limit))]
}

func (w *writer) comma() {
	if w.enc.Prompt {
		w.buf = append(w.buf, ", "...)
	} else {
		w.buf = append(w.buf, ',')
	}
}

func (w *writer) colon() {
	if w.enc.Prompt {
		w.buf = append(w.buf, ": "...)
	} else {
		w.buf = append(w.buf, ':')
	}
}

// field writes "name":value, redacting the value of a secret name.
func (w *writer) field(name string, v any) {
	w.buf = AppendString(w.buf, name)
	w.colon()
	if w.enc.Redact && vmspan.IsSecretKey(name) {
		v = vmspan.Redacted
	}
	w.value(v)
}

func (w *writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case int64:
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(x), 10)
	case float64:
		w.buf = AppendFloat(w.buf, x)
	case string:
		w.buf = AppendString(w.buf, x)
	case []any:
		w.list(x)
	case map[string]any:
		w.object(x)
	case vmspan.Object:
		if w.enc.Prompt {
			w.fields(x.Fields)
		} else {
			w.class(x)
		}
	case vmspan.Enum:
		if w.enc.Prompt {
			w.buf = AppendString(w.buf, x.Value)
			return
		}
		w.buf = append(w.buf, `{"__enum":`...)
		w.buf = AppendString(w.buf, x.Name)
		w.buf = append(w.buf, `,"value":`...)
		w.buf = AppendString(w.buf, x.Value)
		w.buf = append(w.buf, '}')
	default:
		w.other(v)
	}
}

// other writes a value outside the snapshot form through vmspan.Snapshot,
// whose result is always in it.
func (w *writer) other(v any) {
	s := vmspan.Snapshot(v)
	switch s.(type) {
	case nil, bool, int64, float64, string, []any, map[string]any, vmspan.Object, vmspan.Enum:
		w.value(s)
	default: // not reached: Snapshot falls back to fmt text
		w.buf = AppendString(w.buf, "?")
	}
}

func (w *writer) list(x []any) {
	w.buf = append(w.buf, '[')
	for i, v := range x {
		if w.full() {
			return
		}
		if i > 0 {
			w.comma()
		}
		w.value(v)
	}
	w.buf = append(w.buf, ']')
}

// A pair is a map entry: entries are sorted rather than keys, so that no
// value is looked up twice.
type pair[V any] struct {
	k string
	v V
}

func (w *writer) object(m map[string]any) {
	var arr [16]pair[any]
	kvs := arr[:0]
	for k, v := range m {
		kvs = append(kvs, pair[any]{k, v})
	}
	sortPairs(kvs)
	w.buf = append(w.buf, '{')
	for i, kv := range kvs {
		if w.full() {
			return
		}
		if i > 0 {
			w.comma()
		}
		w.field(kv.k, kv.v)
	}
	w.buf = append(w.buf, '}')
}

// AppendStringMap appends a string map (tags, HTTP headers) as an object
// with sorted keys; nil is {}.
func AppendStringMap(b []byte, m map[string]string) []byte {
	if len(m) > smallMap {
		return appendLargeStringMap(b, m)
	}
	// A few entries (headers, tags): their keys sorted by insertion as the
	// map gives them, in an array that stays on the stack.
	var arr [smallMap]pair[string]
	n := 0
	for k, v := range m {
		j := n
		for ; j > 0 && k < arr[j-1].k; j-- {
			arr[j] = arr[j-1]
		}
		arr[j] = pair[string]{k, v}
		n++
	}
	return appendStringPairs(b, arr[:n])
}

// smallMap is the most entries AppendStringMap sorts on the stack.
const smallMap = 8

func appendLargeStringMap(b []byte, m map[string]string) []byte {
	kvs := make([]pair[string], 0, len(m))
	for k, v := range m {
		kvs = append(kvs, pair[string]{k, v})
	}
	sortPairs(kvs)
	return appendStringPairs(b, kvs)
}

// appendStringPairs appends sorted pairs as an object.
func appendStringPairs(b []byte, kvs []pair[string]) []byte {
	b = append(b, '{')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, kv.k)
		b = append(b, ':')
		b = AppendString(b, kv.v)
	}
	return append(b, '}')
}

// sortPairs sorts by key: insertion sort for the small maps events carry,
// which beats a general sort and needs no closure.
func sortPairs[V any](kvs []pair[V]) {
	if len(kvs) > 16 {
		slices.SortFunc(kvs, func(a, b pair[V]) int { return strings.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(kvs); i++ {
		for j := i; j > 0 && kvs[j].k < kvs[j-1].k; j-- {
			kvs[j], kvs[j-1] = kvs[j-1], kvs[j]
		}
	}
}

// class writes a class instance in the trace form: its fields and
// "__class", all keys sorted.
func (w *writer) class(o vmspan.Object) {
	var arr [16]pair[any]
	kvs := append(arr[:0], pair[any]{"__class", nil})
	for _, f := range o.Fields {
		kvs = append(kvs, pair[any]{f.Name, f.Value})
	}
	sortPairs(kvs)
	w.buf = append(w.buf, '{')
	for i, kv := range kvs {
		if w.full() {
			return
		}
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if kv.k == "__class" {
			w.buf = append(w.buf, `"__class":`...)
			w.buf = AppendString(w.buf, o.Class)
			continue
		}
		w.field(kv.k, kv.v)
	}
	w.buf = append(w.buf, '}')
}

// fields writes named values as an object, in their order: arguments, or
// a class instance's fields in the prompt form.
func (w *writer) fields(fs []vmspan.Arg) {
	w.buf = append(w.buf, '{')
	for i, f := range fs {
		if w.full() {
			return
		}
		if i > 0 {
			w.comma()
		}
		w.field(f.Name, f.Value)
	}
	w.buf = append(w.buf, '}')
}

// AppendFloat appends f as the mapping says: encoding/json's text, with
// ".0" added to a number written without fraction or exponent; NaN and the
// infinities are null.
func AppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		if m := len(b); m-n >= 4 && b[m-4] == 'e' && b[m-3] == '-' && b[m-2] == '0' {
			b[m-2] = b[m-1]
			b = b[:m-1]
		}
		return b
	}
	for _, c := range b[n:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// AppendString appends s as a JSON string. Only '"', '\' and control
// characters are escaped (no HTML escaping; U+2028 and U+2029 are written
// as they are), and invalid UTF-8 becomes U+FFFD.
func AppendString(b []byte, s string) []byte {
	if len(s) <= shortString && plainASCII(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, '"')
	valid := false
	if len(s) >= 8 {
		var i int
		b, i, valid = appendWords(b, s)
		s = s[i:]
	}
	b = appendRunes(b, s, valid)
	return append(b, '"')
}

// shortString is the longest string AppendString first checks for
// nothing to escape, to copy it whole: keys, tags and headers mostly.
const shortString = 32

// plainASCII reports whether s is ASCII with no byte to escape.
func plainASCII(s string) bool {
	for ; len(s) >= 8; s = s[8:] {
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x&highBits != 0 || escapeBytes(x) != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || escapes[c] != 0 {
			return false
		}
	}
	return true
}

// wordRoom is the spare capacity escapeWords needs before each word: it
// stores 8 bytes at offsets below 64 (see there).
const wordRoom = 72

// appendWords appends s eight bytes at a time, up to its last whole word,
// and returns how much of s it wrote and whether the rest of s is known to
// be valid UTF-8 (the rest may start inside a character). It stops early,
// at the start of a word, when it finds that the rest is not valid UTF-8.
func appendWords(b []byte, s string) ([]byte, int, bool) {
	n := len(b)
	// Room for s, some escapes, and the slack of the last stores; more is
	// made, below, when escapes use it up.
	d := slices.Grow(b, len(s)+len(s)/8+wordRoom)
	d = d[:cap(d)]
	i, valid := 0, false // valid: whether s[i:] is known to be valid UTF-8
	for {
		var rest string
		n, rest = escapeWords(d, n, s[i:], valid)
		i = len(s) - len(rest)
		switch {
		case i+8 > len(s):
			return d[:n], i, valid
		case len(d)-n < wordRoom:
			d = slices.Grow(d[:n], len(s)-i+wordRoom)
			d = d[:cap(d)]
		default:
			// The first non-ASCII byte: check the rest once. In valid
			// UTF-8 no byte of a multi-byte character needs escaping,
			// so from here on they are copied like plain bytes.
			if !utf8.ValidString(s[i:]) {
				return d[:n], i, false
			}
			valid = true
		}
	}
}

// escapeWords is the loop of appendWords: it writes the words of s into d
// from n, and returns the new n and the rest of s when s has no whole word
// left, when d has less than wordRoom spare bytes, or, unless valid, at a
// word with a non-ASCII byte. It calls nothing, so that the loop keeps its
// state in registers.
//
// Recorded HTTP bodies are JSON text, with a quote every few bytes, so the
// loop is built for dense escapes: it stores each word whole, and for each
// byte to escape stores the escape over it and then the rest of the word
// after the escape; no copy of the run between escapes is needed.
func escapeWords(d []byte, n int, s string, valid bool) (int, string) {
	stop := uint64(highBits) // the bytes that end the loop: non-ASCII unless valid
	if valid {
		stop = 0
	}
	for lastN := len(d) - wordRoom; len(s) >= 8 && n <= lastN; s = s[8:] {
		// The compiler merges these byte loads into one.
		x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x&stop != 0 {
			break
		}
		hi := x & highBits
		out := (*[wordRoom]byte)(d[n:])
		binary.LittleEndian.PutUint64(out[:], x)
		// Before each escape the word's bytes are in place; extra counts
		// the bytes the escapes so far added. Offsets in out stay below
		// 49 (the last escape follows at most 7 escapes of 6 bytes and is
		// followed by 1 byte); the &63 keeps them as they are and tells
		// the compiler that an 8-byte store there fits in out, so that it
		// checks no bounds. After an escape in the word's last byte the
		// shift wraps to 0, storing bytes past the output that later
		// stores overwrite.
		extra := 0
		for m := escapeBytes(x&^hi) &^ hi; m != 0; m &= m - 1 {
			shift := uint(bits.TrailingZeros64(m)) & 56 // 8 × the escape's index
			at := extra + int(shift/8)
			e := escapes[byte(x>>shift)]
			binary.LittleEndian.PutUint64(out[at&63:], e)
			binary.LittleEndian.PutUint64(out[(at+int(e>>56))&63:], x>>((shift+8)&63))
			extra += int(e>>56) - 1
		}
		n += 8 + extra
	}
	return n, s
}

// appendRunes appends s one byte or character at a time: a string shorter
// than a word, the end of a longer one, and the rest of one that is not
// valid UTF-8. When s is known to be valid, its non-ASCII bytes are copied
// as they are.
func appendRunes(b []byte, s string, valid bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf || valid {
			if e := escapes[c]; e != 0 {
				b = appendEscape(b, e)
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// appendEscape appends an escape from the escapes table.
func appendEscape(b []byte, e uint64) []byte {
	b = binary.LittleEndian.AppendUint64(b, e)
	return b[:len(b)-8+int(e>>56)]
}

const highBits = 0x8080808080808080 // the high bit of each byte of a word

// escapeBytes returns the high bit of each byte of x (8 ASCII bytes, high
// bits clear) that JSON escapes: '"', '\\' and control characters. It is
// exact: no byte's sum carries into the next, since each is at most
// 0x7f + 0x7f.
func escapeBytes(x uint64) uint64 {
	const ones, low7 = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f
	q, bs := x^(ones*'"'), x^(ones*'\\') // zero where the byte is '"' or '\\'
	// A byte's high bit is set in q+low7 unless it was zero, and in
	// x+0x60 unless the byte is below 0x20.
	return ^((q + low7) & (bs + low7) & (x + ones*0x60)) & highBits
}

const hexDigits = "0123456789abcdef"

// escapes holds, for each byte JSON escapes, its escape as little-endian
// bytes with the escape's length in the top byte; other bytes are 0. A
// store of the whole word writes the escape (and bytes past it that the
// next store overwrites).
var escapes = func() (t [256]uint64) {
	short := map[byte]byte{'\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f'}
	for c := range 0x20 {
		e := []byte{'\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf]}
		if s, ok := short[byte(c)]; ok {
			e = []byte{'\\', s}
		}
		t[c] = pack(e)
	}
	t['"'], t['\\'] = pack([]byte(`\"`)), pack([]byte(`\\`))
	return t
}()

// pack packs an escape of at most 7 bytes for the escapes table.
func pack(e []byte) uint64 {
	var w [8]byte
	copy(w[:], e)
	w[7] = byte(len(e))
	return binary.LittleEndian.Uint64(w[:])
}

// Truncate cuts b to at most limit bytes, at a character boundary, ending
// it with TruncatedMarker; b is returned as it is when it fits or limit is
// not positive. A limit shorter than the marker gives the marker alone.
func Truncate(b []byte, limit int) []byte {
	if limit <= 0 || len(b) <= limit {
		return b
	}
	cut := max(limit-len(TruncatedMarker), 0)
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return append(b[:cut], TruncatedMarker...)
}
