// value.go defines Value, the VM's representation of bex values, and the
// containers behind it.

package vm

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// A Kind says what kind of value a Value holds.
type Kind uint8

// Value kinds.
const (
	KindNull Kind = iota
	KindBool
	KindInt
	KindFloat
	KindString
	KindList
	KindMap
	KindInstance
	KindEnum
	KindMedia // image, audio, pdf or video (a *vmspan.Media)
	KindFunc  // a function or lambda (a *Function or *closure)
)

var kindNames = [...]string{
	KindNull: "null", KindBool: "bool", KindInt: "int", KindFloat: "float", KindString: "string",
	KindList: "list", KindMap: "map", KindInstance: "instance", KindEnum: "enum", KindMedia: "media", KindFunc: "function",
}

// String returns the kind's bex name ("int", "list", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// A Value is a bex value. It is a small struct, passed by value: ints,
// floats, bools and null are held inline and never allocate; a string holds
// a pointer to its bytes and its length; lists, maps and class instances are
// references to mutable containers (so two Values may share one list). The
// zero Value is null.
//
// Values are not safe for concurrent mutation: a list or map reachable from
// two goroutines must not be changed by either.
type Value struct {
	k Kind
	n uint64         // bool (0/1), int bits, float bits, string length, enum variant index, 1 for a closure
	p unsafe.Pointer // string bytes, *List, *Map, *Instance, *types.EnumDecl, *Function or *closure
}

// Null is the null value (the zero Value).
var Null Value

// Bool values.
var (
	True  = Value{k: KindBool, n: 1}
	False = Value{k: KindBool}
)

// Int returns an int value.
func Int(i int64) Value { return Value{k: KindInt, n: uint64(i)} }

// Float returns a float value.
func Float(f float64) Value { return Value{k: KindFloat, n: math.Float64bits(f)} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return True
	}
	return False
}

// String returns a string value.
func String(s string) Value {
	return Value{k: KindString, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// NewList returns a list value holding elems (which it keeps; the caller must
// not modify elems afterwards).
func NewList(elems []Value) Value { return Value{k: KindList, p: unsafe.Pointer(&List{elems: elems})} }

// NewMap returns a new empty map value.
func NewMap() Value { return Value{k: KindMap, p: unsafe.Pointer(newMap(0))} }

// NewInstance returns an instance of cls whose fields, in declaration order,
// are fields (which it keeps). It panics if the field count is wrong.
func NewInstance(cls *types.ClassDecl, fields []Value) Value {
	if len(fields) != len(cls.Fields) {
		panic("vm.NewInstance: " + cls.Name + " has " + strconv.Itoa(len(cls.Fields)) + " fields, got " + strconv.Itoa(len(fields)))
	}
	return Value{k: KindInstance, p: unsafe.Pointer(&Instance{class: cls, fields: fields})}
}

// EnumValue returns the value of e's variant named variant, reporting false if
// e has no such variant.
func EnumValue(e *types.EnumDecl, variant string) (Value, bool) {
	i := e.ValueIndex(variant)
	if i < 0 {
		return Null, false
	}
	return enumAt(e, i), true
}

func enumAt(e *types.EnumDecl, i int) Value {
	return Value{k: KindEnum, n: uint64(i), p: unsafe.Pointer(e)}
}

// dynEnum marks (as an enum Value's n) a value a call's overlay added to a
// @@dynamic enum: p then points to a dynEnumValue, not to the enum.
const dynEnum = math.MaxUint64

// A dynEnumValue is an enum value that a call's overlay added.
type dynEnumValue struct {
	enum  *types.EnumDecl
	value *types.EnumValue
}

func dynEnumAt(e *types.EnumDecl, v *types.EnumValue) Value {
	return Value{k: KindEnum, n: dynEnum, p: unsafe.Pointer(&dynEnumValue{e, v})}
}

// funcValue returns the value of a function without captures.
func funcValue(fn *Function) Value { return Value{k: KindFunc, p: unsafe.Pointer(fn)} }

// A closure is a lambda value: its function and the values it captured
// when it was created.
type closure struct {
	fn       *Function
	captures []Value
}

// Func returns the function a function value calls, or nil.
func (v Value) Func() *Function {
	if v.k != KindFunc {
		return nil
	}
	return v.fn()
}

func (v Value) fn() *Function {
	if v.n == 1 {
		return (*closure)(v.p).fn
	}
	return (*Function)(v.p)
}

// captures returns the values a closure captured (nil for a plain function).
func (v Value) captures() []Value {
	if v.n == 1 {
		return (*closure)(v.p).captures
	}
	return nil
}

// MediaValue returns a media value (image, audio, pdf or video) holding m,
// which must not be nil. Media values are immutable.
func MediaValue(m *vmspan.Media) Value { return Value{k: KindMedia, p: unsafe.Pointer(m)} }

// Media returns the media of a media value, or nil.
func (v Value) Media() *vmspan.Media {
	if v.k != KindMedia {
		return nil
	}
	return (*vmspan.Media)(v.p)
}

// Kind returns the kind of value v holds.
func (v Value) Kind() Kind { return v.k }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.k == KindNull }

// Int returns v's int value (a float is truncated; other kinds give 0).
func (v Value) Int() int64 {
	if v.k == KindFloat {
		return int64(math.Float64frombits(v.n))
	}
	if v.k == KindInt {
		return int64(v.n)
	}
	return 0
}

// Float returns v's float value (an int is converted; other kinds give 0).
func (v Value) Float() float64 {
	switch v.k {
	case KindFloat:
		return math.Float64frombits(v.n)
	case KindInt:
		return float64(int64(v.n))
	}
	return 0
}

// Bool reports whether v is true.
func (v Value) Bool() bool { return v.k == KindBool && v.n != 0 }

// Str returns the contents of a string value ("" for other kinds).
func (v Value) Str() string {
	if v.k != KindString {
		return ""
	}
	return v.str()
}

func (v Value) str() string { return unsafe.String((*byte)(v.p), int(v.n)) }

// List returns the list v refers to, or nil.
func (v Value) List() *List {
	if v.k != KindList {
		return nil
	}
	return (*List)(v.p)
}

// Map returns the map v refers to, or nil.
func (v Value) Map() *Map {
	if v.k != KindMap {
		return nil
	}
	return (*Map)(v.p)
}

// Instance returns the class instance v refers to, or nil.
func (v Value) Instance() *Instance {
	if v.k != KindInstance {
		return nil
	}
	return (*Instance)(v.p)
}

// Enum returns the enum of an enum value and its variant's name, or nil and "".
func (v Value) Enum() (*types.EnumDecl, string) {
	if v.k != KindEnum {
		return nil, ""
	}
	if v.n == dynEnum {
		d := (*dynEnumValue)(v.p)
		return d.enum, d.value.Name
	}
	e := (*types.EnumDecl)(v.p)
	return e, e.Values[v.n].Name
}

func (v Value) list() *List         { return (*List)(v.p) }
func (v Value) mapv() *Map          { return (*Map)(v.p) }
func (v Value) instance() *Instance { return (*Instance)(v.p) }
func (v Value) enum() *types.EnumDecl {
	if v.n == dynEnum {
		return (*dynEnumValue)(v.p).enum
	}
	return (*types.EnumDecl)(v.p)
}
func (v Value) float() float64 { return math.Float64frombits(v.n) }

// TypeName returns the name of v's type as error messages spell it: "int",
// "string", "list", "map", "null", "function", a class name or an enum name.
func (v Value) TypeName() string {
	switch v.k {
	case KindInstance:
		return v.instance().class.Name
	case KindEnum:
		return v.enum().Name
	case KindMedia:
		return v.Media().Kind
	}
	return v.k.String()
}

// String returns v's display form: a string's own text, and for other values
// bex-like literal syntax (strings inside containers are quoted).
func (v Value) String() string {
	if v.k == KindString {
		return v.str()
	}
	var b strings.Builder
	v.write(&b)
	return b.String()
}

// write appends v's literal form to b.
func (v Value) write(b *strings.Builder) { v.writeDepth(b, 0) }

// maxDisplay bounds the display form of a value: lists that share elements
// can be exponentially larger when written out than in memory.
const maxDisplay = 1 << 20

func (v Value) writeDepth(b *strings.Builder, depth int) {
	if depth > maxNesting || b.Len() > maxDisplay {
		b.WriteString("...")
		return
	}
	switch v.k {
	case KindNull:
		b.WriteString("null")
	case KindBool:
		b.WriteString(strconv.FormatBool(v.n != 0))
	case KindInt:
		b.WriteString(strconv.FormatInt(int64(v.n), 10))
	case KindFloat:
		b.WriteString(formatFloat(v.float()))
	case KindString:
		b.WriteString(strconv.Quote(v.str()))
	case KindList:
		b.WriteByte('[')
		for i, e := range v.list().elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.writeDepth(b, depth+1)
		}
		b.WriteByte(']')
	case KindMap:
		m := v.mapv()
		b.WriteByte('{')
		for i, k := range m.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(k) + ": ")
			m.vals[i].writeDepth(b, depth+1)
		}
		b.WriteByte('}')
	case KindInstance:
		in := v.instance()
		b.WriteString(in.class.Name + " {")
		for i, f := range in.class.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + f.Name + ": ")
			in.fields[i].writeDepth(b, depth+1)
		}
		for i, f := range in.dyn {
			if i > 0 || len(in.fields) > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + f.Name + ": ")
			in.extra[i].writeDepth(b, depth+1)
		}
		b.WriteString(" }")
	case KindEnum:
		e, name := v.Enum()
		b.WriteString(e.Name + "." + name)
	case KindMedia:
		b.WriteString(v.Media().String())
	case KindFunc:
		b.WriteString("<function " + v.fn().Name + ">")
	}
}

// formatFloat formats f so that it always reads back as a float ("1.0", not "1").
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// A List is a mutable sequence of values.
type List struct{ elems []Value }

// Len returns the number of elements.
func (l *List) Len() int { return len(l.elems) }

// At returns the i'th element.
func (l *List) At(i int) Value { return l.elems[i] }

// Elems returns the list's elements. The slice is the list's own storage:
// it is valid until the list is next modified.
func (l *List) Elems() []Value { return l.elems }

// Append adds v at the end of the list.
func (l *List) Append(v Value) { l.elems = append(l.elems, v) }

// A Map is a mutable map from strings to values that remembers insertion order.
type Map struct {
	keys  []string
	vals  []Value
	index map[string]int // built once the map is large enough for it to pay
}

// mapIndexMin is the size from which a Map keeps a hash index; smaller maps
// are searched linearly, which is faster and allocates less.
const mapIndexMin = 9

func newMap(n int) *Map {
	return &Map{keys: make([]string, 0, n), vals: make([]Value, 0, n)}
}

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the keys in insertion order. The slice is the map's own
// storage: it is valid until the map is next modified.
func (m *Map) Keys() []string { return m.keys }

// Values returns the values in insertion order (the map's own storage).
func (m *Map) Values() []Value { return m.vals }

func (m *Map) find(k string) int {
	if m.index != nil {
		if i, ok := m.index[k]; ok {
			return i
		}
		return -1
	}
	for i, x := range m.keys {
		if x == k {
			return i
		}
	}
	return -1
}

// Get returns the value for k and whether it is present.
func (m *Map) Get(k string) (Value, bool) {
	if i := m.find(k); i >= 0 {
		return m.vals[i], true
	}
	return Null, false
}

// Set sets the value for k, adding k at the end if it is new.
func (m *Map) Set(k string, v Value) {
	if i := m.find(k); i >= 0 {
		m.vals[i] = v
		return
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
	if m.index != nil {
		m.index[k] = len(m.keys) - 1
	} else if len(m.keys) >= mapIndexMin {
		m.reindex()
	}
}

// Delete removes k, returning its value and whether it was present.
func (m *Map) Delete(k string) (Value, bool) {
	i := m.find(k)
	if i < 0 {
		return Null, false
	}
	v := m.vals[i]
	m.keys = append(m.keys[:i], m.keys[i+1:]...)
	m.vals = append(m.vals[:i], m.vals[i+1:]...)
	if m.index != nil {
		m.reindex()
	}
	return v, true
}

func (m *Map) reindex() {
	m.index = make(map[string]int, len(m.keys))
	for i, k := range m.keys {
		m.index[k] = i
	}
}

// An Instance is a class instance: a class and its field values in
// declaration order, then the values of the fields a call's overlay added
// to its @@dynamic class, if any.
type Instance struct {
	class  *types.ClassDecl
	fields []Value
	dyn    []*types.Field // the fields the overlay added (a shared slice)
	extra  []Value        // their values
}

// Class returns the instance's class.
func (in *Instance) Class() *types.ClassDecl { return in.class }

// Fields returns the field values in declaration order (the instance's own storage).
func (in *Instance) Fields() []Value { return in.fields }

// Field returns the value of the named field and whether the class has
// it (a declared field, or one the call's overlay added).
func (in *Instance) Field(name string) (Value, bool) {
	i := in.class.FieldIndex(name)
	if i < 0 {
		for j, f := range in.dyn {
			if f.Name == name {
				return in.extra[j], true
			}
		}
		return Null, false
	}
	return in.fields[i], true
}

// DynamicFields returns the fields a call's overlay added to the
// instance's @@dynamic class, and their values (shared slices: do not
// modify).
func (in *Instance) DynamicFields() ([]*types.Field, []Value) { return in.dyn, in.extra }

// ---- equality and ordering ----

// Equal reports whether x and y are deeply equal: numbers compare by value
// (1 == 1.0), lists element by element, maps by their entries (whatever the
// order), instances by class and fields, enums by variant. Values that
// contain themselves compare equal when they have the same shape; values
// nested more than 1000 levels deep compare unequal.
func Equal(x, y Value) bool {
	var st eqState
	return st.equal(x, y, 0)
}

// An eqState bounds the work of a deep comparison. Lists can share
// elements, so a naive comparison of two such values takes time exponential
// in their depth; after a while the comparison remembers the pairs of
// containers it has met and assumes them equal when it meets them again
// (sound: a difference anywhere makes the whole comparison false).
type eqState struct {
	visits int
	seen   map[[2]unsafe.Pointer]bool
}

// again reports whether the containers a and b were met before.
func (st *eqState) again(a, b unsafe.Pointer) bool {
	if st.visits++; st.visits < 1000 {
		return false
	}
	if st.seen == nil {
		st.seen = map[[2]unsafe.Pointer]bool{}
	}
	k := [2]unsafe.Pointer{a, b}
	if st.seen[k] {
		return true
	}
	st.seen[k] = true
	return false
}

func (st *eqState) equal(x, y Value, depth int) bool {
	if depth > maxNesting {
		return false
	}
	if x.k != y.k {
		if isNumber(x) && isNumber(y) {
			return x.Float() == y.Float()
		}
		return false
	}
	switch x.k {
	case KindNull:
		return true
	case KindBool, KindInt:
		return x.n == y.n
	case KindFloat:
		return x.float() == y.float()
	case KindString:
		return x.n == y.n && x.str() == y.str()
	case KindEnum:
		if x.n == dynEnum || y.n == dynEnum {
			xe, xn := x.Enum()
			ye, yn := y.Enum()
			return xe == ye && xn == yn
		}
		return x.p == y.p && x.n == y.n
	case KindMedia:
		a, b := x.Media(), y.Media()
		return a.Kind == b.Kind && a.URL == b.URL && a.SHA256 == b.SHA256 && a.MediaType == b.MediaType
	case KindFunc:
		return x.p == y.p
	}
	if x.p == y.p || st.again(x.p, y.p) {
		return true
	}
	switch x.k {
	case KindList:
		return st.equalLists(x.list(), y.list(), depth)
	case KindMap:
		return st.equalMaps(x.mapv(), y.mapv(), depth)
	case KindInstance:
		return st.equalInstances(x.instance(), y.instance(), depth)
	}
	return false
}

func isNumber(v Value) bool { return v.k == KindInt || v.k == KindFloat }

func (st *eqState) equalLists(a, b *List, depth int) bool {
	if len(a.elems) != len(b.elems) {
		return false
	}
	for i := range a.elems {
		if !st.equal(a.elems[i], b.elems[i], depth+1) {
			return false
		}
	}
	return true
}

func (st *eqState) equalMaps(a, b *Map, depth int) bool {
	if len(a.keys) != len(b.keys) {
		return false
	}
	for i, k := range a.keys {
		v, ok := b.Get(k)
		if !ok || !st.equal(a.vals[i], v, depth+1) {
			return false
		}
	}
	return true
}

func (st *eqState) equalInstances(a, b *Instance, depth int) bool {
	if a.class != b.class {
		return false
	}
	for i := range a.fields {
		if !st.equal(a.fields[i], b.fields[i], depth+1) {
			return false
		}
	}
	if len(a.extra) != len(b.extra) {
		return false
	}
	for i := range a.extra {
		if a.dyn[i].Name != b.dyn[i].Name || !st.equal(a.extra[i], b.extra[i], depth+1) {
			return false
		}
	}
	return true
}
