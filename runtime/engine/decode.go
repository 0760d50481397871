// decode.go converts call results to Go types: Decode's direct path.

package engine

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// setDirect sets dst, a zero value, from v (a result of Call: nil, bool,
// int64, float64, string, []any, map[string]any) to what
// json.Unmarshal(json.Marshal(v)) would make of it, and reports whether it
// could. It takes only the values and types whose JSON round trip it can
// reproduce exactly: no json.Unmarshaler or encoding.TextUnmarshaler, no
// embedded struct, no ",string" option, no []byte or array, no interface
// but any, no value the round trip would reject or change (a number out of
// range, a fraction for an int, a float32 that would round twice, invalid
// UTF-8), no key that would match a field only case-insensitively, no
// value nested deeper than maxDirectDepth (a cycle). On false dst may be
// partly set: the caller starts again from a zero value through the round
// trip, which stays the authority.
func setDirect(dst reflect.Value, v any) bool { return set(dst, v, 0) }

// maxDirectDepth bounds setDirect's nesting; results are at most 1,000
// deep (vm.ToGo).
const maxDirectDepth = 1000

func set(dst reflect.Value, v any, depth int) bool {
	if depth > maxDirectDepth {
		return false
	}
	depth++
	if isNull(v) {
		// null leaves dst as it is, except that it clears a pointer, map,
		// slice or interface: dst is zero either way.
		return decodable(dst.Type())
	}
	t := dst.Type()
	switch dst.Kind() {
	case reflect.Pointer:
		if !decodable(t) {
			return false
		}
		p := reflect.New(t.Elem())
		if !set(p.Elem(), v, depth) {
			return false
		}
		dst.Set(p)
		return true
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return false
		}
		x, ok := jsonValue(v, depth)
		if ok && x != nil {
			dst.Set(reflect.ValueOf(x))
		}
		return ok
	}
	if !decodable(t) {
		return false
	}
	switch x := v.(type) {
	case bool:
		if dst.Kind() != reflect.Bool {
			return false
		}
		dst.SetBool(x)
		return true
	case int64:
		return setInt(dst, x)
	case int:
		return setInt(dst, int64(x))
	case float64:
		return setFloat(dst, x)
	case string:
		if dst.Kind() != reflect.String || !utf8.ValidString(x) {
			return false
		}
		dst.SetString(x)
		return true
	case []any:
		if dst.Kind() != reflect.Slice || t.Elem().Kind() == reflect.Uint8 {
			return false
		}
		s := reflect.MakeSlice(t, len(x), len(x))
		for i, e := range x {
			if !set(s.Index(i), e, depth) {
				return false
			}
		}
		dst.Set(s)
		return true
	case map[string]any:
		switch dst.Kind() {
		case reflect.Struct:
			return setStruct(dst, x, depth)
		case reflect.Map:
			return setMap(dst, x, depth)
		}
	}
	return false
}

// isNull reports whether v is written as null.
func isNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return x == nil
	case map[string]any:
		return x == nil
	}
	return false
}

// setInt sets an int, uint or float kind from an integer, as JSON's
// decimal digits would.
func setInt(dst reflect.Value, n int64) bool {
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if dst.OverflowInt(n) {
			return false
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n < 0 || dst.OverflowUint(uint64(n)) {
			return false
		}
		dst.SetUint(uint64(n))
	case reflect.Float64:
		dst.SetFloat(float64(n)) // rounds as parsing its digits does
	case reflect.Float32:
		if n < -1<<24 || n > 1<<24 { // exact in a float32: no rounding
			return false
		}
		dst.SetFloat(float64(n))
	default:
		return false
	}
	return true
}

// setFloat sets a float kind from a float64, which JSON writes in its
// shortest exact form: a float64 gets it back; a float32 only when exact.
func setFloat(dst reflect.Value, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false // json.Marshal fails
	}
	switch dst.Kind() {
	case reflect.Float64:
	case reflect.Float32:
		if float64(float32(f)) != f {
			return false
		}
	default:
		return false
	}
	dst.SetFloat(f)
	return true
}

// setStruct sets a struct's fields from an object's members by their
// JSON names; members that name no field are ignored, as by
// json.Unmarshal.
func setStruct(dst reflect.Value, m map[string]any, depth int) bool {
	fields := structFields(dst.Type())
	if fields == nil {
		return false
	}
	for k, e := range m {
		i := fields.lookup(k)
		switch {
		case i >= 0:
			if !set(dst.Field(i), e, depth) {
				return false
			}
		case i == foldMatch || !marshals(e, depth):
			return false // json.Marshal fails on what json.Unmarshal would ignore
		}
	}
	return true
}

// setMap sets a map with string keys from an object.
func setMap(dst reflect.Value, m map[string]any, depth int) bool {
	t := dst.Type()
	if t.Key().Kind() != reflect.String || implementsText(t.Key()) {
		return false
	}
	out := reflect.MakeMapWithSize(t, len(m))
	for k, e := range m {
		if !utf8.ValidString(k) {
			return false
		}
		ev := reflect.New(t.Elem()).Elem()
		if !set(ev, e, depth) {
			return false
		}
		out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
	}
	dst.Set(out)
	return true
}

// marshals reports whether json.Marshal takes v, a value of the kinds
// results are made of.
func marshals(v any, depth int) bool {
	if depth > maxDirectDepth {
		return false
	}
	switch x := v.(type) {
	case nil, bool, int64, int, string:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if !marshals(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !marshals(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// jsonValue returns what json.Unmarshal puts in an any for v's JSON: a
// fresh copy in which integers are float64.
func jsonValue(v any, depth int) (any, bool) {
	if depth > maxDirectDepth {
		return nil, false
	}
	depth++
	switch x := v.(type) {
	case nil, bool:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		return x, utf8.ValidString(x)
	case []any:
		if x == nil {
			return nil, true
		}
		out := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if out[i], ok = jsonValue(e, depth); !ok {
				return nil, false
			}
		}
		return out, true
	case map[string]any:
		if x == nil {
			return nil, true
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, ok := jsonValue(e, depth)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			out[k] = ev
		}
		return out, true
	}
	return nil, false
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// implementsText reports whether t or *t decodes itself.
func implementsText(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || p.Implements(textUnmarshaler)
}

// decodable reports whether t is of a kind setDirect handles and does not
// decode itself.
func decodable(t reflect.Type) bool {
	if v, ok := decodableTypes.Load(t); ok {
		return v.(bool)
	}
	ok := !implementsText(t)
	switch t.Kind() {
	case reflect.Array, reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		ok = false
	}
	decodableTypes.Store(t, ok)
	return ok
}

var decodableTypes sync.Map // reflect.Type -> bool

// A fieldSet is the fields of a struct by their JSON names.
type fieldSet struct {
	names []string
	at    []int // the field index of each name
}

// foldMatch is fieldSet.lookup's result for a key that names a field only
// case-insensitively.
const foldMatch = -2

// lookup returns the index of the field named k, -1 for none, or foldMatch.
func (fs *fieldSet) lookup(k string) int {
	for i, n := range fs.names {
		if n == k {
			return fs.at[i]
		}
	}
	for _, n := range fs.names {
		if strings.EqualFold(n, k) {
			return foldMatch
		}
	}
	return -1
}

var structFieldSets sync.Map // reflect.Type -> *fieldSet (nil: not handled)

// structFields returns t's fields as json.Unmarshal names them, or nil
// when setDirect does not handle t: an embedded field, a ",string"
// option, a tag name encoding/json would not take, or two names equal
// but for case.
func structFields(t reflect.Type) *fieldSet {
	if v, ok := structFieldSets.Load(t); ok {
		return v.(*fieldSet)
	}
	fs := newFieldSet(t)
	structFieldSets.Store(t, fs)
	return fs
}

func newFieldSet(t reflect.Type) *fieldSet {
	fs := &fieldSet{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		for o := range strings.SplitSeq(opts, ",") {
			if o == "string" {
				return nil
			}
		}
		if !plainName(name) {
			return nil
		}
		if name == "" {
			name = f.Name
		}
		for _, n := range fs.names {
			if strings.EqualFold(n, name) {
				return nil
			}
		}
		fs.names = append(fs.names, name)
		fs.at = append(fs.at, i)
	}
	return fs
}

// plainName reports whether a tag's name is made of ASCII letters, digits,
// '_' and '-' (all valid to encoding/json), or empty.
func plainName(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
