// types.go holds the compiler's static type model and the resolution of type expressions.

package compile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
)

// A TypeKind says what kind of type a Type is.
type TypeKind uint8

// Type kinds. The order matches the runtime's vm.TypeKind.
const (
	TAny TypeKind = iota
	TInt
	TFloat
	TString
	TBool
	TNull
	TList
	TMap
	TOptional
	TUnion
	TClass
	TEnum
	TLiteral
)

// A Type is a static type. Elem is the element of a list, the value of a map
// and the operand of an optional; Key is a map's key type.
type Type struct {
	Kind     TypeKind
	Elem     *Type
	Key      *Type
	Variants []*Type
	Class    *Class
	Enum     *Enum
	Literal  any // int64, float64, string or bool for TLiteral

	// weak marks a type inferred for a container element: lists and maps do
	// not enforce element types after creation, so a weak type guides field
	// and method resolution but never lets the compiler drop a runtime check.
	weak bool
}

// weakOf returns t marked weak (see Type.weak).
func weakOf(t *Type) *Type {
	if t == nil || t.weak || t.Kind == TAny {
		return t
	}
	w := *t
	w.weak = true
	return &w
}

// Predeclared simple types, shared (types are never mutated after creation).
var (
	AnyType    = &Type{Kind: TAny}
	IntType    = &Type{Kind: TInt}
	FloatType  = &Type{Kind: TFloat}
	StringType = &Type{Kind: TString}
	BoolType   = &Type{Kind: TBool}
	NullType   = &Type{Kind: TNull}
)

// A Class is a class declaration with resolved field types.
type Class struct {
	Name        string
	Description string
	Fields      []*Field
	File        string
	Pos         syntax.Pos
	index       map[string]int
}

// A Field is one class field.
type Field struct {
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
	Values      []*EnumValue
	File        string
	Pos         syntax.Pos
}

// An EnumValue is one enum variant.
type EnumValue struct {
	Name, Alias, Description string
}

// ValueIndex returns the index of the named variant, or -1.
func (e *Enum) ValueIndex(name string) int {
	for i, v := range e.Values {
		if v.Name == name {
			return i
		}
	}
	return -1
}

// String returns the type in bex syntax.
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
		return wrapUnion(t.Elem) + "[]"
	case TMap:
		return "map<" + t.Key.String() + ", " + t.Elem.String() + ">"
	case TOptional:
		return wrapUnion(t.Elem) + "?"
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
		return LiteralString(t.Literal)
	}
	return "?"
}

func wrapUnion(t *Type) string {
	if t.Kind == TUnion {
		return "(" + t.String() + ")"
	}
	return t.String()
}

// LiteralString formats a literal type's value in bex syntax.
func LiteralString(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// Nullable reports whether null is a member of t.
func (t *Type) Nullable() bool {
	switch t.Kind {
	case TAny, TNull, TOptional:
		return true
	case TUnion:
		for _, v := range t.Variants {
			if v.Nullable() {
				return true
			}
		}
	}
	return false
}

// NonNull returns t without null: the operand of an optional, or t itself.
func (t *Type) NonNull() *Type {
	if t != nil && t.Kind == TOptional {
		return t.Elem
	}
	return t
}

// resolveType turns a type expression into a Type, reporting unknown names.
func (c *compiler) resolveType(file string, te syntax.TypeExpr) *Type {
	switch te := te.(type) {
	case nil:
		return AnyType
	case *syntax.NamedType:
		return c.namedType(file, te)
	case *syntax.ListType:
		return &Type{Kind: TList, Elem: c.resolveType(file, te.Elem)}
	case *syntax.MapType:
		key := c.resolveType(file, te.Key)
		if key.Kind != TString && key.Kind != TAny {
			c.errorf(file, te.Key.Span(), "map keys must be strings, not %s", key)
		}
		return &Type{Kind: TMap, Key: StringType, Elem: c.resolveType(file, te.Value)}
	case *syntax.OptionalType:
		elem := c.resolveType(file, te.Elem)
		if elem.Kind == TOptional || elem.Kind == TNull || elem.Kind == TAny {
			return elem
		}
		return &Type{Kind: TOptional, Elem: elem}
	case *syntax.UnionType:
		u := &Type{Kind: TUnion}
		for _, v := range te.Types {
			u.Variants = append(u.Variants, c.resolveType(file, v))
		}
		return u
	case *syntax.LiteralType:
		return literalType(te.Value)
	}
	c.errorf(file, te.Span(), "unsupported type expression")
	return AnyType
}

func literalType(lit *syntax.Literal) *Type {
	if lit.Kind == syntax.NullLit {
		return NullType
	}
	return &Type{Kind: TLiteral, Literal: lit.Value}
}

func (c *compiler) namedType(file string, te *syntax.NamedType) *Type {
	switch te.Name {
	case "int":
		return IntType
	case "float":
		return FloatType
	case "string":
		return StringType
	case "bool":
		return BoolType
	case "null":
		return NullType
	case "any", "json", "image", "audio", "video", "pdf":
		// Media types are opaque to expression code; they travel as any value.
		return AnyType
	}
	if cl := c.classes[te.Name]; cl != nil {
		return &Type{Kind: TClass, Class: cl}
	}
	if en := c.enums[te.Name]; en != nil {
		return &Type{Kind: TEnum, Enum: en}
	}
	c.errorf(file, te.NamePos, "unknown type %s", te.Name)
	return AnyType
}

// An answer is a three-valued result of a static question.
type answer uint8

const (
	no answer = iota
	maybe
	yes
)

// assignable reports whether every value of static type src is a member of dst
// (yes), none can be (no), or the runtime must check (maybe).
func assignable(src, dst *Type) answer {
	if dst == nil || dst.Kind == TAny {
		return yes
	}
	if src == nil || src.Kind == TAny {
		return maybe
	}
	if src.weak {
		return min(maybe, assignable(strong(src), dst))
	}
	switch dst.Kind {
	case TOptional:
		if src.Kind == TNull {
			return yes
		}
		if src.Kind == TOptional {
			return min(maybe, assignable(src.Elem, dst.Elem))
		}
		return assignable(src, dst.Elem)
	case TUnion:
		best := no
		for _, v := range dst.Variants {
			best = max(best, assignable(src, v))
		}
		if best == no && (src.Kind == TUnion || src.Kind == TOptional) {
			return maybe
		}
		return best
	}
	switch src.Kind {
	case TOptional, TUnion:
		return maybe
	}
	return assignableSimple(src, dst)
}

func assignableSimple(src, dst *Type) answer {
	switch dst.Kind {
	case TInt, TString, TBool, TNull:
		if src.Kind == dst.Kind {
			return yes
		}
		if src.Kind == TLiteral && literalKind(src.Literal) == dst.Kind {
			return yes
		}
	case TFloat:
		if src.Kind == TFloat || src.Kind == TInt {
			return yes
		}
		if src.Kind == TLiteral && (literalKind(src.Literal) == TInt || literalKind(src.Literal) == TFloat) {
			return yes
		}
	case TList:
		if src.Kind == TList {
			return min(maybe, assignable(src.Elem, dst.Elem))
		}
	case TMap:
		if src.Kind == TMap {
			return min(maybe, assignable(src.Elem, dst.Elem))
		}
	case TClass:
		if src.Kind == TClass && src.Class == dst.Class {
			return yes
		}
	case TEnum:
		if src.Kind == TEnum && src.Enum == dst.Enum {
			return yes
		}
	case TLiteral:
		if src.Kind == TLiteral && src.Literal == dst.Literal {
			return yes
		}
		if literalKind(dst.Literal) == src.Kind {
			return maybe
		}
	}
	return no
}

// literalKind returns the primitive kind of a literal value.
func literalKind(v any) TypeKind {
	switch v.(type) {
	case int64:
		return TInt
	case float64:
		return TFloat
	case string:
		return TString
	case bool:
		return TBool
	}
	return TAny
}

func strong(t *Type) *Type {
	s := *t
	s.weak = false
	return &s
}

func isNumeric(t *Type) bool { return t != nil && (t.Kind == TInt || t.Kind == TFloat) }
