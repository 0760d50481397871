// value.go encodes event values as JSON attribute strings, redacted and size-limited.

package otelbridge

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/bexrun/bex/vmspan"
)

// TruncatedMarker ends an attribute value cut at the size limit. A
// truncated JSON value is no longer valid JSON; the marker says why.
const TruncatedMarker = "...[truncated]"

// jsonEncoder appends event values as JSON. It stops early once the output
// passes limit, so a huge argument costs no more than limit bytes of work.
type jsonEncoder struct {
	buf   []byte
	limit int // <= 0: no limit
}

var encoderPool = sync.Pool{New: func() any { return &jsonEncoder{buf: make([]byte, 0, 256)} }}

func newEncoder(limit int) *jsonEncoder {
	e := encoderPool.Get().(*jsonEncoder)
	e.buf, e.limit = e.buf[:0], limit
	return e
}

// done returns the encoded text, truncated to the limit, and recycles e.
func (e *jsonEncoder) done() string {
	s := string(truncate(e.buf, e.limit))
	if cap(e.buf) <= 64<<10 {
		encoderPool.Put(e)
	}
	return s
}

func (e *jsonEncoder) full() bool { return e.limit > 0 && len(e.buf) > e.limit }

// truncate cuts b to at most limit bytes (at a rune boundary), ending it with
// TruncatedMarker.
func truncate(b []byte, limit int) []byte {
	if limit <= 0 || len(b) <= limit {
		return b
	}
	cut := max(limit-len(TruncatedMarker), 0)
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return append(b[:cut], TruncatedMarker...)
}

// truncateString is truncate for a string attribute value.
func truncateString(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	return string(truncate([]byte(s), limit))
}

// args encodes named arguments as one JSON object in declaration order.
// Secret-named arguments are redacted.
func (e *jsonEncoder) args(args []vmspan.Arg) {
	e.buf = append(e.buf, '{')
	for i, a := range args {
		if e.full() {
			return
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.field(a.Name, a.Value)
	}
	e.buf = append(e.buf, '}')
}

// field encodes "name":value, redacting the value of a secret-named field.
func (e *jsonEncoder) field(name string, v any) {
	e.str(name)
	e.buf = append(e.buf, ':')
	if isSecret(name) {
		v = vmspan.Redacted
	}
	e.value(v)
}

// value encodes a value in snapshot form: class instances as objects whose
// first key is "__class", enums as {"__enum","value"}, as in trace files.
func (e *jsonEncoder) value(v any) {
	if e.full() {
		return
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case float64:
		e.float(x)
	case string:
		e.str(x)
	case []any:
		e.list(x)
	case map[string]any:
		e.object(x)
	case vmspan.Object:
		e.class(x)
	case vmspan.Enum:
		e.buf = append(e.buf, `{"__enum":`...)
		e.str(x.Name)
		e.buf = append(e.buf, `,"value":`...)
		e.str(x.Value)
		e.buf = append(e.buf, '}')
	default:
		e.other(v)
	}
}

func (e *jsonEncoder) list(x []any) {
	e.buf = append(e.buf, '[')
	for i, v := range x {
		if e.full() {
			return
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.value(v)
	}
	e.buf = append(e.buf, ']')
}

// object encodes a map with its keys sorted, so equal maps give equal text.
func (e *jsonEncoder) object(m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if e.full() {
			return
		}
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.field(k, m[k])
	}
	e.buf = append(e.buf, '}')
}

// Fields are written in sorted order, as in trace files (which sort keys at
// every level), so a span exported live and the same span replayed from a
// trace file carry byte-identical attributes.
func (e *jsonEncoder) class(o vmspan.Object) {
	e.buf = append(e.buf, `{"__class":`...)
	e.str(o.Class)
	fields := o.Fields
	if !slices.IsSortedFunc(fields, byName) {
		fields = slices.SortedFunc(slices.Values(fields), byName)
	}
	for _, f := range fields {
		if e.full() {
			return
		}
		e.buf = append(e.buf, ',')
		e.field(f.Name, f.Value)
	}
	e.buf = append(e.buf, '}')
}

func byName(a, b vmspan.Arg) int { return strings.Compare(a.Name, b.Name) }

// float encodes like encoding/json; NaN and infinities, which JSON lacks,
// become strings.
func (e *jsonEncoder) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.str(strconv.FormatFloat(f, 'g', -1, 64))
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	e.buf = strconv.AppendFloat(e.buf, f, format, -1, 64)
}

// other encodes a value that is not in snapshot form (events built by hand)
// after converting it with vmspan.Snapshot, which redacts secret keys.
func (e *jsonEncoder) other(v any) {
	s := vmspan.Snapshot(v)
	switch s.(type) {
	case nil, bool, int64, float64, string, []any, map[string]any, vmspan.Object, vmspan.Enum:
		e.value(s)
		return
	}
	if b, err := json.Marshal(s); err == nil {
		e.buf = append(e.buf, b...)
		return
	}
	e.str(fmt.Sprint(v))
}

const hexDigits = "0123456789abcdef"

// str appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as in
// encoding/json; HTML characters are not escaped.
func (e *jsonEncoder) str(s string) {
	b := append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = appendEscaped(b, c)
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
		i += size
	}
	b = append(b, s[start:]...)
	e.buf = append(b, '"')
}

func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// keyInfo caches, per argument name, field name or tag key, whether it names a
// secret (vmspan.IsSecretKey allocates) and the tag's attribute key.
type keyInfo struct {
	secret bool
	tagKey string
}

// keyCache is a copy-on-write map: reads are an atomic load and a map
// lookup, and writes are rare, since keys come from programs and host code.
var (
	keyCache   atomic.Pointer[map[string]keyInfo]
	keyCacheMu sync.Mutex
)

// maxKeyCache bounds the cache, so that map arguments with generated keys
// cannot grow it without end; keys beyond it are looked up every time.
const maxKeyCache = 2048

func lookupKey(k string) keyInfo {
	if m := keyCache.Load(); m != nil {
		if info, ok := (*m)[k]; ok {
			return info
		}
	}
	info := keyInfo{secret: vmspan.IsSecretKey(k), tagKey: TagPrefix + k}
	keyCacheMu.Lock()
	defer keyCacheMu.Unlock()
	old := keyCache.Load()
	if old == nil || len(*old) < maxKeyCache {
		m := make(map[string]keyInfo, 1+lenOf(old))
		if old != nil {
			maps.Copy(m, *old)
		}
		m[k] = info
		keyCache.Store(&m)
	}
	return info
}

func lenOf(m *map[string]keyInfo) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

func isSecret(k string) bool { return lookupKey(k).secret }
