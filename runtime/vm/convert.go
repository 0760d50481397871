// convert.go converts between Values and Go values, and takes event snapshots.

package vm

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// maxNesting bounds the recursion of the functions that walk values (ToGo,
// Snapshot, String, Equal), because bex lists and maps may contain themselves.
const maxNesting = 1000

// maxNodes bounds the number of containers ToGo and Snapshot copy: lists
// that share elements can be exponentially larger when copied than in memory.
const maxNodes = 1 << 20

// A walk counts the containers a conversion has copied. media says how
// Snapshot renders media values: by reference (false: events), or as the
// *vmspan.Media itself, bytes included (true: arguments for the LLM layer).
type walk struct {
	nodes int
	media bool
}

// tooBig reports whether a conversion must stop (and counts a container).
func (w *walk) tooBig(depth int) bool {
	w.nodes++
	return depth > maxNesting || w.nodes > maxNodes
}

// ToGo converts v to plain Go values: nil, bool, int64, float64, string,
// []any and map[string]any. A class instance becomes a map[string]any of its
// fields, an enum value its variant's name and a function value
// "<function Name>". Values nested deeper than
// 1000 levels (only possible through a cycle) become the string "...", as
// do containers beyond the first million.
func ToGo(v Value) any { return new(walk).toGo(v, 0) }

func (w *walk) toGo(v Value, depth int) any {
	if v.k >= KindList && v.k <= KindInstance && w.tooBig(depth) {
		return "..."
	}
	switch v.k {
	case KindNull:
		return nil
	case KindBool:
		return v.n != 0
	case KindInt:
		return int64(v.n)
	case KindFloat:
		return v.float()
	case KindString:
		return v.str()
	case KindList:
		out := make([]any, len(v.list().elems))
		for i, e := range v.list().elems {
			out[i] = w.toGo(e, depth+1)
		}
		return out
	case KindMap:
		m := v.mapv()
		out := make(map[string]any, len(m.keys))
		for i, k := range m.keys {
			out[k] = w.toGo(m.vals[i], depth+1)
		}
		return out
	case KindInstance:
		in := v.instance()
		out := make(map[string]any, len(in.fields)+len(in.extra))
		for i, f := range in.class.Fields {
			out[f.Name] = w.toGo(in.fields[i], depth+1)
		}
		for i, f := range in.dyn {
			out[f.Name] = w.toGo(in.extra[i], depth+1)
		}
		return out
	case KindEnum:
		_, name := v.Enum()
		return name
	case KindMedia:
		return v.Media()
	case KindFunc:
		return v.String()
	}
	return nil
}

// Snapshot returns a deep copy of v in the span event form: nil, bool,
// int64, float64, string, []any, map[string]any, vmspan.Object (fields in
// declaration order) and vmspan.Enum. Map entries and class fields whose
// names look secret (vmspan.IsSecretKey) hold vmspan.Redacted instead. A
// media value becomes its reference (vmspan.Media.Ref: kind, URL, media
// type, size, hash), never its bytes. Like ToGo, it stops at depth 1000 and
// after a million containers.
func Snapshot(v Value) any { return new(walk).snapshot(v, 0) }

// SnapshotWithMedia is Snapshot, except that media values stay
// *vmspan.Media, bytes included. It makes the arguments of LLM calls, whose
// prompts send media to providers; events always use Snapshot.
func SnapshotWithMedia(v Value) any { return (&walk{media: true}).snapshot(v, 0) }

func (w *walk) snapshot(v Value, depth int) any {
	if v.k >= KindList && v.k <= KindInstance && w.tooBig(depth) {
		return "..."
	}
	switch v.k {
	case KindList:
		out := make([]any, len(v.list().elems))
		for i, e := range v.list().elems {
			out[i] = w.snapshot(e, depth+1)
		}
		return out
	case KindMap:
		m := v.mapv()
		out := make(map[string]any, len(m.keys))
		for i, k := range m.keys {
			out[k] = w.secret(k, m.vals[i], depth)
		}
		return out
	case KindInstance:
		in := v.instance()
		fields := make([]vmspan.Arg, len(in.fields), len(in.fields)+len(in.extra))
		for i, f := range in.class.Fields {
			fields[i] = vmspan.Arg{Name: f.Name, Value: w.secret(f.Name, in.fields[i], depth)}
		}
		for i, f := range in.dyn {
			fields = append(fields, vmspan.Arg{Name: f.Name, Value: w.secret(f.Name, in.extra[i], depth)})
		}
		return vmspan.Object{Class: in.class.Name, Fields: fields}
	case KindEnum:
		e, name := v.Enum()
		return vmspan.Enum{Name: e.Name, Value: name}
	case KindMedia:
		if w.media {
			return v.Media()
		}
		return v.Media().Ref()
	}
	return w.toGo(v, depth)
}

func (w *walk) secret(key string, v Value, depth int) any {
	if vmspan.IsSecretKey(key) {
		return vmspan.Redacted
	}
	return w.snapshot(v, depth+1)
}

// FromGo converts a Go value to a Value of type t (nil or AnyType: whatever
// type x has). It accepts nil, bools, every int, uint and float kind,
// json.Number, strings, slices and arrays, maps with string keys, structs and
// pointers to them (through their JSON encoding, so json tags apply), Values,
// and the snapshot forms vmspan.Object and vmspan.Enum. A class accepts a
// map or struct whose keys are field names or aliases; an enum accepts its
// variant's name or alias in any case. An int is accepted where a float is
// expected. Errors name the path, such as "field tags: element 2: want
// string, got int".
func FromGo(x any, t *types.Type) (Value, error) {
	return FromGoWith(x, t, nil)
}

// FromGoWith is FromGo for a call whose overlay o adds fields and values
// to @@dynamic classes and enums (nil: none): a class instance gets the
// fields o adds (null when x lacks them, as for optional fields), and an
// enum value may be one o adds.
func FromGoWith(x any, t *types.Type, o *types.Overlay) (Value, error) {
	v, err := conv{o}.fromGo(x, orAnyType(t), 0)
	if err != nil {
		return Null, err
	}
	return v, nil
}

func orAnyType(t *types.Type) *types.Type {
	if t == nil {
		return types.AnyType
	}
	return t
}

// A conv converts Go values with a call's overlay.
type conv struct{ o *types.Overlay }

// A convError is a failed conversion; path names where in the value it is.
type convError struct {
	path []string
	msg  string
	// brief is msg without the value it quotes, when it quotes one.
	brief string
}

// Error names the path; a very deep one (a cyclic value) shows its outer
// and inner ends only, so the message stays short.
func (e *convError) Error() string { return e.text(false) }

// ErrorSummary is Error without the map keys of the path and the value
// (see vmspan.ErrorSummary).
func (e *convError) ErrorSummary() string { return e.text(true) }

func (e *convError) text(brief bool) string {
	path := e.path
	if n := len(path); n > 2*shownPathEnds {
		path = append(append(path[:shownPathEnds:shownPathEnds], fmt.Sprintf("... %d more levels ...", n-2*shownPathEnds)), path[n-shownPathEnds:]...)
	}
	msg := e.msg
	if brief && e.brief != "" {
		msg = e.brief
	}
	return pathText(path, brief) + msg
}

// shownPathEnds is how many path elements a conversion error shows at each
// end of a deep path.
const shownPathEnds = 5

func (e *convError) within(p string) *convError {
	e.path = append([]string{p}, e.path...)
	return e
}

func mismatch(t *types.Type, x any) *convError {
	return &convError{msg: fmt.Sprintf("want %s, got %s", t, goTypeName(x))}
}

// goTypeName names a Go value's type the way bex would.
func goTypeName(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case json.Number:
		return "number"
	case Value:
		return x.TypeName()
	case vmspan.Object:
		return x.Class
	case vmspan.Enum:
		return x.Name
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	case reflect.Pointer:
		if rv.IsNil() {
			return "null"
		}
		return goTypeName(rv.Elem().Interface())
	}
	return rv.Type().String()
}

func (cv conv) fromGo(x any, t *types.Type, depth int) (Value, *convError) {
	if depth > maxNesting {
		return Null, &convError{msg: "value nested too deeply"}
	}
	if v, ok := x.(Value); ok {
		v, err := coerce(v, planOf(t))
		if err != nil {
			return Null, &convError{msg: err.Error(), brief: err.ErrorSummary()}
		}
		return v, nil
	}
	x = deref(x)
	u := t.Underlying()
	switch u.Kind {
	case types.Any, types.Media, types.Func:
		return cv.inferGo(x, depth)
	case types.Optional:
		if x == nil {
			return Null, nil
		}
		return cv.fromGo(x, u.Elem, depth+1)
	case types.Union:
		return cv.unionFromGo(x, t, u, depth)
	case types.List:
		return cv.listFromGo(x, t, u.Elem, depth)
	case types.Map:
		return cv.mapFromGo(x, t, u.Elem, depth)
	case types.Class:
		return cv.classFromGo(x, t, u.Class, depth)
	case types.Enum:
		return cv.enumFromGo(x, t, u.Enum)
	case types.Literal:
		lit := literalValue(u.Literal)
		v, err := scalarFromGo(x, &types.Type{Kind: types.LiteralKind(u.Literal)})
		if err != nil || !Equal(v, lit) || v.k != lit.k {
			return Null, mismatch(t, x)
		}
		return v, nil
	}
	return scalarFromGo(x, u)
}

// deref follows pointers (a nil pointer is nil).
func deref(x any) any {
	for {
		rv := reflect.ValueOf(x)
		if rv.Kind() != reflect.Pointer {
			return x
		}
		if rv.IsNil() {
			return nil
		}
		x = rv.Elem().Interface()
	}
}

// scalarFromGo converts to int, float, string, bool or null.
func scalarFromGo(x any, t *types.Type) (Value, *convError) {
	v, ok := numberFromGo(x)
	switch t.Kind {
	case types.Int:
		if ok && v.k == KindFloat && v.float() == math.Trunc(v.float()) && math.Abs(v.float()) < 1<<63 {
			return Int(int64(v.float())), nil
		}
		if ok && v.k == KindInt {
			return v, nil
		}
	case types.Float:
		if ok {
			return Float(v.Float()), nil
		}
	case types.String:
		if s, ok := x.(string); ok {
			return String(s), nil
		}
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.String {
			return String(rv.String()), nil
		}
	case types.Bool:
		if b, ok := x.(bool); ok {
			return Bool(b), nil
		}
	case types.Null:
		if x == nil {
			return Null, nil
		}
	}
	return Null, mismatch(t, x)
}

// numberFromGo converts any Go number (or json.Number) to an int or float Value.
func numberFromGo(x any) (Value, bool) {
	if n, ok := x.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return Int(i), true
		}
		f, err := n.Float64()
		return Float(f), err == nil
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Int(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt64 {
			return Float(float64(rv.Uint())), true
		}
		return Int(int64(rv.Uint())), true
	case reflect.Float32, reflect.Float64:
		return Float(rv.Float()), true
	}
	return Null, false
}

// inferGo converts x to the Value its Go type suggests.
func (cv conv) inferGo(x any, depth int) (Value, *convError) {
	switch x := x.(type) {
	case nil:
		return Null, nil
	case bool:
		return Bool(x), nil
	case string:
		return String(x), nil
	case vmspan.Enum:
		return String(x.Value), nil
	case vmspan.Media: // fromGo dereferences pointers before it gets here
		return MediaValue(&x), nil
	case vmspan.Object:
		m := newMap(len(x.Fields))
		for _, f := range x.Fields {
			v, err := cv.inferGo(deref(f.Value), depth+1)
			if err != nil {
				return Null, err.within("field " + f.Name)
			}
			m.Set(f.Name, v)
		}
		return mapValue(m), nil
	}
	if v, ok := numberFromGo(x); ok {
		return v, nil
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
			return String(string(rv.Bytes())), nil // []byte is text, as in JSON's view of it
		}
		return cv.listFromGo(x, anyList, types.AnyType, depth)
	case reflect.Map:
		return cv.mapFromGo(x, anyMap, types.AnyType, depth)
	case reflect.Struct:
		return cv.viaJSON(x, types.AnyType, depth)
	case reflect.String:
		return String(rv.String()), nil
	}
	return Null, &convError{msg: fmt.Sprintf("cannot convert Go %T to a bex value", x)}
}

var (
	anyList = types.ListOf(types.AnyType)
	anyMap  = types.MapOf(types.StringType, types.AnyType)
)

func mapValue(m *Map) Value { return Value{k: KindMap, p: unsafe.Pointer(m)} }

// viaJSON converts a struct through its JSON encoding (so json tags apply).
func (cv conv) viaJSON(x any, t *types.Type, depth int) (Value, *convError) {
	b, err := json.Marshal(x)
	if err != nil {
		return Null, &convError{msg: fmt.Sprintf("cannot convert Go %T: %v", x, err)}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return Null, &convError{msg: fmt.Sprintf("cannot convert Go %T: %v", x, err)}
	}
	return cv.fromGo(out, t, depth)
}

func (cv conv) unionFromGo(x any, t, u *types.Type, depth int) (Value, *convError) {
	for _, v := range u.Variants {
		if v, err := cv.fromGo(x, v, depth+1); err == nil {
			return v, nil
		}
	}
	return Null, mismatch(t, x)
}

func (cv conv) listFromGo(x any, t, elem *types.Type, depth int) (Value, *convError) {
	if x == nil {
		return Null, mismatch(t, x)
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return Null, mismatch(t, x)
	}
	elems := make([]Value, rv.Len())
	for i := range elems {
		v, err := cv.fromGo(rv.Index(i).Interface(), elem, depth+1)
		if err != nil {
			return Null, err.within("element " + strconv.Itoa(i))
		}
		elems[i] = v
	}
	return NewList(elems), nil
}

func (cv conv) mapFromGo(x any, t, elem *types.Type, depth int) (Value, *convError) {
	if x == nil {
		return Null, mismatch(t, x)
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Struct {
		return cv.viaJSON(x, t, depth)
	}
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return Null, mismatch(t, x)
	}
	keys := rv.MapKeys()
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.String()
	}
	slices.Sort(names) // Go maps have no order: make the Value's order deterministic
	m := newMap(len(keys))
	for _, k := range names {
		v, err := cv.fromGo(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), elem, depth+1)
		if err != nil {
			return Null, err.within("key " + strconv.Quote(k))
		}
		m.Set(k, v)
	}
	return mapValue(m), nil
}

// classFromGo converts a map, struct or vmspan.Object to an instance.
func (cv conv) classFromGo(x any, t *types.Type, cls *types.ClassDecl, depth int) (Value, *convError) {
	var get func(name string) (any, bool)
	switch x := x.(type) {
	case vmspan.Object:
		get = func(name string) (any, bool) {
			for _, f := range x.Fields {
				if f.Name == name {
					return f.Value, true
				}
			}
			return nil, false
		}
	case map[string]any:
		get = func(name string) (any, bool) { v, ok := x[name]; return v, ok }
	default:
		rv := reflect.ValueOf(x)
		switch {
		case x != nil && rv.Kind() == reflect.Struct:
			return cv.viaJSON(x, t, depth)
		case x != nil && rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
			get = func(name string) (any, bool) {
				v := rv.MapIndex(reflect.ValueOf(name).Convert(rv.Type().Key()))
				if !v.IsValid() {
					return nil, false
				}
				return v.Interface(), true
			}
		default:
			return Null, mismatch(t, x)
		}
	}
	all := cv.o.Fields(cls)
	vals := make([]Value, len(all))
	for i, f := range all {
		raw, ok := get(f.Name)
		if !ok && f.Alias != "" {
			raw, ok = get(f.Alias)
		}
		if !ok && !f.Type.Nullable() {
			return Null, &convError{path: []string{"field " + f.Name}, msg: "missing"}
		}
		v, err := cv.fromGo(raw, f.Type, depth+1)
		if err != nil {
			return Null, err.within("field " + f.Name)
		}
		vals[i] = v
	}
	n := len(cls.Fields)
	if len(all) == n {
		return NewInstance(cls, vals), nil
	}
	in := &Instance{class: cls, fields: vals[:n:n], dyn: all[n:], extra: vals[n:]}
	return Value{k: KindInstance, p: unsafe.Pointer(in)}, nil
}

func (cv conv) enumFromGo(x any, t *types.Type, e *types.EnumDecl) (Value, *convError) {
	var s string
	switch x := x.(type) {
	case string:
		s = x
	case vmspan.Enum:
		s = x.Value
	default:
		return Null, mismatch(t, x)
	}
	i := e.Lookup(s)
	if i >= 0 {
		return enumAt(e, i), nil
	}
	all := cv.o.Values(e)
	for _, exact := range []bool{true, false} {
		for _, v := range all[len(e.Values):] {
			if v.Name == s || !exact && (strings.EqualFold(v.Name, s) || v.Alias != "" && strings.EqualFold(v.Alias, s)) {
				return dynEnumAt(e, v), nil
			}
		}
	}
	return Null, &convError{msg: fmt.Sprintf("%s is not a value of enum %s", strconv.Quote(s), e.Name), brief: "a string that is not a value of enum " + e.Name}
}
