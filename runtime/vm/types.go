// types.go holds declared types, classes and enums, and the boundary type checks.

package vm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/internal/compile"
)

// A TypeKind says what kind of type a Type is.
type TypeKind uint8

// Type kinds.
const (
	TAny      TypeKind = iota // any value
	TInt                      // int
	TFloat                    // float (an int is accepted and converted)
	TString                   // string
	TBool                     // bool
	TNull                     // null
	TList                     // Elem[]
	TMap                      // map<Key, Elem>; Key is always string
	TOptional                 // Elem?
	TUnion                    // Variants[0] | Variants[1] | ...
	TClass                    // an instance of Class
	TEnum                     // a value of Enum
	TLiteral                  // exactly Literal (an int, float, string or bool)
)

// A Type is a declared type: of a parameter, a result, a class field or a
// host function. Elem is a list's element type, a map's value type or an
// optional's operand; Key is a map's key type. Types made by the VM are
// immutable and shared; a Type built by hand must not be changed once used.
type Type struct {
	Kind     TypeKind
	Elem     *Type
	Key      *Type
	Variants []*Type
	Class    *Class
	Enum     *Enum
	Literal  Value

	mask kindMask // for flat types: the value kinds accepted (see flatMask)
}

// A kindMask is a set of value kinds plus flags.
type kindMask uint16

const (
	maskFlat  kindMask = 1 << 15 // the mask decides membership alone
	maskFloat kindMask = 1 << 14 // an int is converted to float
)

// Common types.
var (
	AnyType    = &Type{Kind: TAny}
	IntType    = &Type{Kind: TInt}
	FloatType  = &Type{Kind: TFloat}
	StringType = &Type{Kind: TString}
	BoolType   = &Type{Kind: TBool}
	NullType   = &Type{Kind: TNull}
)

// ListOf returns the type elem[].
func ListOf(elem *Type) *Type { return &Type{Kind: TList, Elem: elem} }

// MapOf returns the type map<string, elem>.
func MapOf(elem *Type) *Type { return &Type{Kind: TMap, Key: StringType, Elem: elem} }

// Optional returns the type t?.
func Optional(t *Type) *Type { return &Type{Kind: TOptional, Elem: t} }

// String returns the type in bex syntax, such as "map<string, int[]>",
// "Ticket?" or "\"a\" | \"b\"".
func (t *Type) String() string {
	if t == nil {
		return "any"
	}
	switch t.Kind {
	case TAny:
		return "any"
	case TInt:
		return "int"
	case TFloat:
		return "float"
	case TString:
		return "string"
	case TBool:
		return "bool"
	case TNull:
		return "null"
	case TList:
		return parenUnion(t.Elem) + "[]"
	case TMap:
		return "map<string, " + t.Elem.String() + ">"
	case TOptional:
		return parenUnion(t.Elem) + "?"
	case TUnion:
		parts := make([]string, len(t.Variants))
		for i, v := range t.Variants {
			parts[i] = v.String()
		}
		return strings.Join(parts, " | ")
	case TClass:
		return t.Class.Name
	case TEnum:
		return t.Enum.Name
	case TLiteral:
		var b strings.Builder
		t.Literal.write(&b)
		return b.String()
	}
	return "invalid"
}

func parenUnion(t *Type) string {
	if t != nil && t.Kind == TUnion {
		return "(" + t.String() + ")"
	}
	return t.String()
}

// A Class is a class declaration.
type Class struct {
	Name        string
	Description string
	Fields      []ClassField
	index       map[string]int
}

// A ClassField is one field of a class.
type ClassField struct {
	Name, Alias, Description string
	Type                     *Type
}

// FieldIndex returns the index of the named field, or -1.
func (c *Class) FieldIndex(name string) int {
	if i, ok := c.index[name]; ok {
		return i
	}
	return -1
}

// An Enum is an enum declaration.
type Enum struct {
	Name        string
	Description string
	Values      []EnumVariant
}

// An EnumVariant is one value of an enum.
type EnumVariant struct {
	Name, Alias, Description string
}

func (e *Enum) index(name string) int {
	for i, v := range e.Values {
		if v.Name == name {
			return i
		}
	}
	return -1
}

// Lookup returns the variant whose name or alias matches s ignoring case,
// preferring an exact name match, or -1.
func (e *Enum) Lookup(s string) int {
	if i := e.index(s); i >= 0 {
		return i
	}
	for i, v := range e.Values {
		if strings.EqualFold(v.Name, s) || (v.Alias != "" && strings.EqualFold(v.Alias, s)) {
			return i
		}
	}
	return -1
}

// ---- checks ----

// A typeError is a boundary type mismatch; path names where in the value it is.
type typeError struct {
	path []string // outermost first
	want *Type
	got  Value
}

func (e *typeError) Error() string {
	var b strings.Builder
	for _, p := range e.path {
		b.WriteString(p + ": ")
	}
	fmt.Fprintf(&b, "want %s, got %s", e.want, describe(e.got, e.want))
	return b.String()
}

// describe names a value's type, showing the value itself where the wanted
// type is made of literals (so "got \"c\"" rather than "got string").
func describe(v Value, want *Type) string {
	if hasLiteral(want) && v.k >= KindBool && v.k <= KindString {
		var b strings.Builder
		v.write(&b)
		return v.k.String() + " " + b.String()
	}
	return v.TypeName()
}

func hasLiteral(t *Type) bool {
	switch t.Kind {
	case TLiteral:
		return true
	case TOptional:
		return hasLiteral(t.Elem)
	case TUnion:
		for _, v := range t.Variants {
			if hasLiteral(v) {
				return true
			}
		}
	}
	return false
}

func (e *typeError) within(p string) *typeError {
	e.path = append([]string{p}, e.path...)
	return e
}

// Check reports whether v is a member of t. The error names the path to the
// mismatch, such as "field priority: want int, got string". An int is a
// member of float.
func Check(v Value, t *Type) error {
	if err := check(v, t); err != nil {
		return err
	}
	return nil
}

// takesKind reports whether a type whose mask decides membership alone
// (maskFlat) takes values of kind k.
func (t *Type) takesKind(k Kind) bool { return t.mask&(1<<k) != 0 }

// check is Check with a concrete error type (nil means no error).
func check(v Value, t *Type) *typeError {
	if t == nil {
		return nil
	}
	if t.mask&maskFlat != 0 {
		if t.takesKind(v.k) {
			return nil
		}
		return &typeError{want: t, got: v}
	}
	switch t.Kind {
	case TAny:
		return nil
	case TOptional:
		if v.k == KindNull {
			return nil
		}
		if err := check(v, t.Elem); err != nil {
			err.want = t
			return err
		}
		return nil
	case TUnion:
		return checkUnion(v, t)
	case TList:
		return checkList(v, t)
	case TMap:
		return checkMap(v, t)
	}
	if !member(v, t) {
		return &typeError{want: t, got: v}
	}
	return nil
}

// member decides membership for the types that hold no other types.
func member(v Value, t *Type) bool {
	switch t.Kind {
	case TInt:
		return v.k == KindInt
	case TFloat:
		return v.k == KindFloat || v.k == KindInt
	case TString:
		return v.k == KindString
	case TBool:
		return v.k == KindBool
	case TNull:
		return v.k == KindNull
	case TClass:
		return v.k == KindInstance && v.instance().class == t.Class
	case TEnum:
		return v.k == KindEnum && v.enum() == t.Enum
	case TLiteral:
		return v.k == t.Literal.k && Equal(v, t.Literal)
	}
	return false
}

func checkUnion(v Value, t *Type) *typeError {
	var first *typeError
	for _, u := range t.Variants {
		err := check(v, u)
		if err == nil {
			return nil
		}
		if first == nil && len(err.path) > 0 {
			first = err // a deep mismatch in a matching container says more
		}
	}
	if first != nil && isContainer(v) {
		return first
	}
	return &typeError{want: t, got: v}
}

func isContainer(v Value) bool { return v.k == KindList || v.k == KindMap }

func checkList(v Value, t *Type) *typeError {
	if v.k != KindList {
		return &typeError{want: t, got: v}
	}
	for i, e := range v.list().elems {
		if err := check(e, t.Elem); err != nil {
			return err.within("element " + strconv.Itoa(i))
		}
	}
	return nil
}

func checkMap(v Value, t *Type) *typeError {
	if v.k != KindMap {
		return &typeError{want: t, got: v}
	}
	m := v.mapv()
	for i, e := range m.vals {
		if err := check(e, t.Elem); err != nil {
			return err.within("key " + strconv.Quote(m.keys[i]))
		}
	}
	return nil
}

// coerce checks v against t at a call boundary and converts an int to a
// float where t expects a float at its top level (float, float?, or a union
// with float but not int). Elements of containers are checked, not converted.
func coerce(v Value, t *Type) (Value, *typeError) {
	if v.k == KindInt && t.mask&maskFloat != 0 {
		return Float(float64(int64(v.n))), nil
	}
	if err := check(v, t); err != nil {
		return v, err
	}
	return v, nil
}

// prepare computes the fast-check mask of t and of the types inside it.
func prepare(t *Type) *Type {
	if t == nil || t.mask != 0 {
		return t
	}
	for _, u := range []*Type{t.Elem, t.Key} {
		prepare(u)
	}
	for _, u := range t.Variants {
		prepare(u)
	}
	t.mask = flatMask(t)
	if floats(t) {
		t.mask |= maskFloat
	}
	return t
}

// flatMask returns the value kinds accepted by a type whose membership depends
// on the kind alone (with maskFlat set), or 0.
func flatMask(t *Type) kindMask {
	switch t.Kind {
	case TAny:
		return maskFlat | 1<<(KindMedia+1) - 1 // every kind
	case TInt:
		return maskFlat | 1<<KindInt
	case TFloat:
		return maskFlat | 1<<KindInt | 1<<KindFloat
	case TString:
		return maskFlat | 1<<KindString
	case TBool:
		return maskFlat | 1<<KindBool
	case TNull:
		return maskFlat | 1<<KindNull
	case TOptional:
		if m := flatMask(t.Elem); m != 0 {
			return m | 1<<KindNull
		}
	case TUnion:
		m := maskFlat
		for _, v := range t.Variants {
			vm := flatMask(v)
			if vm == 0 {
				return 0
			}
			m |= vm
		}
		return m
	}
	return 0
}

// floats reports whether an int is converted to a float for type t.
func floats(t *Type) bool {
	switch t.Kind {
	case TFloat:
		return true
	case TOptional:
		return floats(t.Elem)
	case TUnion:
		float := false
		for _, v := range t.Variants {
			switch v.Kind {
			case TInt, TAny:
				return false
			case TFloat:
				float = true
			}
		}
		return float
	}
	return false
}

// ---- conversion from the compiler's types ----

// typeMaker converts compiler types to VM types, sharing classes and enums.
type typeMaker struct {
	classes map[*compile.Class]*Class
	enums   map[*compile.Enum]*Enum
}

func (m *typeMaker) typ(t *compile.Type) *Type {
	if t == nil {
		return AnyType
	}
	switch t.Kind {
	case compile.TAny:
		return AnyType
	case compile.TInt:
		return IntType
	case compile.TFloat:
		return FloatType
	case compile.TString:
		return StringType
	case compile.TBool:
		return BoolType
	case compile.TNull:
		return NullType
	}
	out := &Type{Kind: TypeKind(t.Kind), Elem: m.sub(t.Elem), Key: m.sub(t.Key)}
	for _, v := range t.Variants {
		out.Variants = append(out.Variants, m.typ(v))
	}
	if t.Class != nil {
		out.Class = m.classes[t.Class]
	}
	if t.Enum != nil {
		out.Enum = m.enums[t.Enum]
	}
	if t.Kind == compile.TLiteral {
		out.Literal = constValue(t.Literal, m)
	}
	return prepare(out)
}

func (m *typeMaker) sub(t *compile.Type) *Type {
	if t == nil {
		return nil
	}
	return m.typ(t)
}

// constValue converts a compiler constant to a Value.
func constValue(c any, m *typeMaker) Value {
	switch c := c.(type) {
	case int64:
		return Int(c)
	case float64:
		return Float(c)
	case string:
		return String(c)
	case bool:
		return Bool(c)
	case compile.EnumConst:
		return enumAt(m.enums[c.Enum], c.Index)
	}
	return Null
}

// compileType converts a VM type (of a host function signature) to a compiler
// type. Classes and enums are named placeholders that the compiler resolves.
func compileType(t *Type) *compile.Type {
	if t == nil {
		return nil
	}
	out := &compile.Type{Kind: compile.TypeKind(t.Kind), Elem: compileType(t.Elem), Key: compileType(t.Key)}
	for _, v := range t.Variants {
		out.Variants = append(out.Variants, compileType(v))
	}
	if t.Class != nil {
		out.Class = &compile.Class{Name: t.Class.Name}
	}
	if t.Enum != nil {
		out.Enum = &compile.Enum{Name: t.Enum.Name}
	}
	if t.Kind == TLiteral {
		out.Literal = ToGo(t.Literal)
	}
	return out
}

func init() {
	for _, t := range []*Type{AnyType, IntType, FloatType, StringType, BoolType, NullType} {
		prepare(t)
	}
}
