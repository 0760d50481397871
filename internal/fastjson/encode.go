// encode.go writes plain values as json.Marshal writes them.

package fastjson

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Append appends v as json.Marshal writes it and reports true, for v made
// of nil, strings, booleans, int, int64, float64 (not NaN or infinite),
// []any and map[string]any (keys sorted, HTML characters escaped). For
// other values it calls ext, when given, which appends them or reports
// false; Append then reports false, and the caller uses json.Marshal. It
// also reports false for values nested deeper than 1,000 (json.Marshal
// reports cycles from there on).
func Append(b []byte, v any, ext func([]byte, any) ([]byte, bool)) ([]byte, bool) {
	return appendValue(b, v, ext, 0)
}

// maxAppendDepth is where json.Marshal starts looking for cycles.
const maxAppendDepth = 1000

func appendValue(b []byte, v any, ext func([]byte, any) ([]byte, bool), depth int) ([]byte, bool) {
	if depth > maxAppendDepth {
		return b, false
	}
	depth++
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return AppendString(b, x), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case float64:
		return appendFloat(b, x)
	case []any:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, e, ext, depth); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case map[string]any:
		if x == nil {
			return append(b, "null"...), true
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendValue(b, x[k], ext, depth); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	}
	if ext != nil {
		return ext(b, v)
	}
	return b, false
}

// appendFloat formats f as encoding/json does, or reports false for NaN
// and the infinities (json.Marshal's error).
func appendFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// AppendString appends s quoted as encoding/json quotes it: '"', '\\' and
// control characters escaped (\b, \f, \n, \r, \t by name), '<', '>' and '&'
// as \u003c, \u003e and \u0026, U+2028 and U+2029 escaped, and invalid
// UTF-8 as \ufffd.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			w := s[i : i+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			m := specialHTMLBytes(x)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8 // the first byte that needs a look
		}
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// specialHTMLBytes returns the high bit of each byte of x (8 bytes) that
// needs a look: '"', '\\', '<', '>', '&', a control character or a
// non-ASCII byte. Borrows may set bits above the lowest such byte too,
// never below it.
func specialHTMLBytes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	a, b, c, d, e := x^(ones*'"'), x^(ones*'\\'), x^(ones*'<'), x^(ones*'>'), x^(ones*'&')
	return ((a-ones)&^a | (b-ones)&^b | (c-ones)&^c | (d-ones)&^d | (e-ones)&^e | (x-ones*0x20)&^x | x) & highs
}
