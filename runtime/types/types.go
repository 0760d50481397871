// types.go holds Type, the one description of a bex type.

package types

import (
	"fmt"
	"strconv"
	"strings"
)

// A Kind says what sort of type a Type is.
type Kind uint8

// Type kinds.
const (
	Any      Kind = iota // any value (bex's own: host signatures and `any`)
	Int                  // int (int64)
	Float                // float (float64); an int is accepted and converted
	String               // string
	Bool                 // bool
	Null                 // null
	Media                // image, audio, pdf or video (Type.Media says which)
	List                 // Elem[]
	Map                  // map<Key, Elem>
	Optional             // Elem?
	Union                // Variants[0] | Variants[1] | ...
	Class                // an instance of Type.Class
	Enum                 // a value of Type.Enum
	Literal              // exactly Type.Literal: an int64, float64, string or bool
	Alias                // the type alias Type.Alias names (possibly recursive)
	Func                 // a function value of signature Type.Func
)

var kindNames = [...]string{
	Any: "any", Int: "int", Float: "float", String: "string", Bool: "bool", Null: "null",
	Media: "media", List: "list", Map: "map", Optional: "optional", Union: "union",
	Class: "class", Enum: "enum", Literal: "literal", Alias: "alias", Func: "function",
}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// A MediaKind says which media type a Media type is.
type MediaKind uint8

// The media kinds.
const (
	Image MediaKind = iota + 1
	Audio
	PDF
	Video
)

var mediaNames = [...]string{Image: "image", Audio: "audio", PDF: "pdf", Video: "video"}

// String returns the media type's bex name ("image", ...).
func (m MediaKind) String() string {
	if int(m) < len(mediaNames) && mediaNames[m] != "" {
		return mediaNames[m]
	}
	return "media"
}

// A Type is a bex type, as declared in source (parameters, results, fields,
// aliases, lets) or in a host function's signature. Types are built by the
// compiler and shared by everything downstream: the VM (argument and result
// checks), the LLM layer (the output format and the coercion of replies)
// and the engine (converting Go values). A Type is immutable once the
// compiler has returned it, and safe for concurrent use.
//
// Elem is the element type of a list, the value type of a map and the
// operand of an optional; Key is a map's key type (string, an enum, a string
// literal or a union of those).
type Type struct {
	Kind     Kind
	Elem     *Type
	Key      *Type
	Variants []*Type
	Class    *ClassDecl
	Enum     *EnumDecl
	Alias    *AliasDecl
	Func     *Signature
	Media    MediaKind
	Literal  any // Literal: int64, float64, string or bool

	// Checks are the @check and @assert constraints written on this type
	// position (a parameter, a result, an alias, a union member).
	Checks []*Constraint
}

// The predeclared simple types. They are shared: never modify them.
var (
	AnyType    = &Type{Kind: Any}
	IntType    = &Type{Kind: Int}
	FloatType  = &Type{Kind: Float}
	StringType = &Type{Kind: String}
	BoolType   = &Type{Kind: Bool}
	NullType   = &Type{Kind: Null}
)

// ListOf returns the type elem[].
func ListOf(elem *Type) *Type { return &Type{Kind: List, Elem: elem} }

// MapOf returns the type map<key, value>.
func MapOf(key, value *Type) *Type { return &Type{Kind: Map, Key: key, Elem: value} }

// OptionalOf returns the type t?; t? of a type that admits null is t itself.
func OptionalOf(t *Type) *Type {
	if t.Nullable() {
		return t
	}
	return &Type{Kind: Optional, Elem: t}
}

// UnionOf returns the union of variants (nil for none, the variant itself
// for one).
func UnionOf(variants ...*Type) *Type {
	switch len(variants) {
	case 0:
		return nil
	case 1:
		return variants[0]
	}
	return &Type{Kind: Union, Variants: variants}
}

// LiteralOf returns the literal type of v (an int64, float64, string or
// bool; other Go ints are converted to int64).
func LiteralOf(v any) *Type {
	switch x := v.(type) {
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	}
	return &Type{Kind: Literal, Literal: v}
}

// ClassOf returns the type of c's instances.
func ClassOf(c *ClassDecl) *Type { return &Type{Kind: Class, Class: c} }

// EnumOf returns the type of e's values.
func EnumOf(e *EnumDecl) *Type { return &Type{Kind: Enum, Enum: e} }

// MediaOf returns the media type m.
func MediaOf(m MediaKind) *Type { return &Type{Kind: Media, Media: m} }

// FuncOf returns the type of functions with signature sig.
func FuncOf(sig *Signature) *Type { return &Type{Kind: Func, Func: sig} }

// Underlying returns t with aliases resolved: the type an alias stands for
// (for a recursive alias, its outermost level). It never returns an Alias.
func (t *Type) Underlying() *Type {
	for i := 0; t != nil && t.Kind == Alias; i++ {
		if t.Alias.Type == nil || i > 100 {
			return AnyType // an unresolved or cyclic alias (an error reported by the compiler)
		}
		t = t.Alias.Type
	}
	return t
}

// Nullable reports whether null is a value of t.
func (t *Type) Nullable() bool { return t.nullable(0) }

func (t *Type) nullable(depth int) bool {
	if t == nil || depth > 100 {
		return true
	}
	switch t.Kind {
	case Any, Null, Optional:
		return true
	case Union:
		for _, v := range t.Variants {
			if v.nullable(depth + 1) {
				return true
			}
		}
	case Alias:
		return t.Alias.Type.nullable(depth + 1)
	}
	return false
}

// ConvertsInt reports whether an int given where t is expected becomes a
// float: t is float, float?, or a union with float but not int (an int is
// a member of a union with int, and stays one).
func (t *Type) ConvertsInt() bool {
	t = t.Underlying()
	switch t.Kind {
	case Float:
		return true
	case Optional:
		return t.Elem.ConvertsInt()
	case Union:
		float := false
		for _, v := range t.Variants {
			switch v.Underlying().Kind {
			case Int, Any:
				return false
			case Float:
				float = true
			}
		}
		return float
	}
	return false
}

// NonNull returns t without null: the operand of an optional, a union
// without its null members, or t itself.
func (t *Type) NonNull() *Type {
	u := t.Underlying()
	switch u.Kind {
	case Optional:
		return u.Elem
	case Union:
		var keep []*Type
		for _, v := range u.Variants {
			if v.Underlying().Kind != Null {
				keep = append(keep, v.NonNull())
			}
		}
		if len(keep) == len(u.Variants) {
			return u
		}
		if len(keep) == 0 {
			return NullType
		}
		return UnionOf(keep...)
	}
	return t
}

// Members returns the members of t seen as a union: the variants of a
// union (flattened, aliases resolved), an optional's operand and null, or t
// itself. Class and enum types are kept as they are.
func (t *Type) Members() []*Type {
	var out []*Type
	t.members(&out, 0)
	return out
}

func (t *Type) members(out *[]*Type, depth int) {
	u := t.Underlying()
	if depth > 100 {
		*out = append(*out, AnyType)
		return
	}
	switch u.Kind {
	case Union:
		for _, v := range u.Variants {
			v.members(out, depth+1)
		}
	case Optional:
		u.Elem.members(out, depth+1)
		*out = append(*out, NullType)
	default:
		*out = append(*out, u)
	}
}

// String returns t in bex syntax: "map<string, int[]>", "Ticket?",
// `"a" | "b"`, "(int) -> string". An alias shows its name.
func (t *Type) String() string {
	if t == nil {
		return "any"
	}
	switch t.Kind {
	case List:
		return parenthesize(t.Elem) + "[]"
	case Map:
		return "map<" + t.Key.String() + ", " + t.Elem.String() + ">"
	case Optional:
		return parenthesize(t.Elem) + "?"
	case Union:
		parts := make([]string, len(t.Variants))
		for i, v := range t.Variants {
			parts[i] = v.String()
		}
		return strings.Join(parts, " | ")
	case Class:
		return t.Class.Name
	case Enum:
		return t.Enum.Name
	case Alias:
		return t.Alias.Name
	case Literal:
		return LiteralString(t.Literal)
	case Media:
		return t.Media.String()
	case Func:
		return t.Func.String()
	}
	return t.Kind.String()
}

func parenthesize(t *Type) string {
	if t != nil && (t.Kind == Union || t.Kind == Func) {
		return "(" + t.String() + ")"
	}
	return t.String()
}

// LiteralString formats a literal type's value in bex syntax: strings
// quoted, numbers and bools as written.
func LiteralString(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0" // a float literal reads back as a float
		}
		return s
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// LiteralKind returns the primitive kind of a literal value: Int, Float,
// String or Bool (Any for anything else).
func LiteralKind(v any) Kind {
	switch v.(type) {
	case int64:
		return Int
	case float64:
		return Float
	case string:
		return String
	case bool:
		return Bool
	}
	return Any
}

// A Signature is the signature of a function: its parameters and result.
type Signature struct {
	Params   []*Param
	Result   *Type // never nil once compiled (AnyType when not declared)
	Variadic bool  // the last parameter repeats zero or more times (host functions)
}

// A Param is one parameter of a signature.
type Param struct {
	Name string
	Type *Type
}

// String returns the signature as a function type: "(int, string) -> bool".
func (s *Signature) String() string {
	parts := make([]string, len(s.Params))
	for i, p := range s.Params {
		parts[i] = p.Type.String()
		if s.Variadic && i == len(s.Params)-1 {
			parts[i] = "..." + parts[i]
		}
	}
	return "(" + strings.Join(parts, ", ") + ") -> " + s.Result.String()
}
