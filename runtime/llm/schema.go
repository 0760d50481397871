// schema.go holds Schema, the description of an LLM function's return type.

package llm

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A Kind says what sort of type a Schema describes.
type Kind uint8

// Schema kinds.
const (
	KindString   Kind = iota + 1 // string
	KindInt                      // int (int64)
	KindFloat                    // float (float64)
	KindBool                     // bool
	KindNull                     // null
	KindList                     // Elem[]
	KindMap                      // map<string, Elem>
	KindClass                    // a class (Class)
	KindEnum                     // an enum (Enum)
	KindOptional                 // Elem?
	KindUnion                    // Variants[0] | Variants[1] | ...
	KindLiteral                  // a literal type (Literal)
	KindAny                      // any value, uncoerced
)

// A Schema describes the declared return type of an LLM function: it drives
// both {{ ctx.output_format }} and the coercion of the reply. A nil *Schema
// means string. Schemas are read-only once built and may be shared by
// concurrent calls.
type Schema struct {
	Kind     Kind
	Elem     *Schema      // KindList, KindMap (the value type), KindOptional
	Class    *ClassSchema // KindClass
	Enum     *EnumSchema  // KindEnum
	Variants []*Schema    // KindUnion
	Literal  any          // KindLiteral: string, int64, float64 or bool
}

// A ClassSchema describes a class. Fields keep declaration order, which is
// the order of the fields in coerced values and in output_format.
type ClassSchema struct {
	Name        string
	Description string
	Fields      []FieldSchema
}

// A FieldSchema describes one class field. Alias (from @alias) is the name
// the model is shown and the first key looked for in its reply; Description
// (from @description) is shown to the model as a comment.
type FieldSchema struct {
	Name        string
	Alias       string
	Description string
	Type        *Schema
}

// An EnumSchema describes an enum.
type EnumSchema struct {
	Name        string
	Description string
	Values      []EnumValueSchema
}

// An EnumValueSchema describes one enum variant.
type EnumValueSchema struct {
	Name        string
	Alias       string
	Description string
}

// Predeclared schemas of the primitive types.
var (
	String = &Schema{Kind: KindString}
	Int    = &Schema{Kind: KindInt}
	Float  = &Schema{Kind: KindFloat}
	Bool   = &Schema{Kind: KindBool}
	Null   = &Schema{Kind: KindNull}
	Any    = &Schema{Kind: KindAny}
)

// ListOf returns the schema of elem[].
func ListOf(elem *Schema) *Schema { return &Schema{Kind: KindList, Elem: elem} }

// MapOf returns the schema of map<string, value>.
func MapOf(value *Schema) *Schema { return &Schema{Kind: KindMap, Elem: value} }

// OptionalOf returns the schema of elem?.
func OptionalOf(elem *Schema) *Schema { return &Schema{Kind: KindOptional, Elem: elem} }

// UnionOf returns the schema of variants[0] | variants[1] | ....
func UnionOf(variants ...*Schema) *Schema { return &Schema{Kind: KindUnion, Variants: variants} }

// LiteralOf returns the schema of a literal type; v is a string, int64,
// float64 or bool.
func LiteralOf(v any) *Schema { return &Schema{Kind: KindLiteral, Literal: v} }

// ClassOf returns the schema of a class.
func ClassOf(c *ClassSchema) *Schema { return &Schema{Kind: KindClass, Class: c} }

// EnumOf returns the schema of an enum.
func EnumOf(e *EnumSchema) *Schema { return &Schema{Kind: KindEnum, Enum: e} }

var primNames = map[Kind]string{KindString: "string", KindInt: "int", KindFloat: "float", KindBool: "bool", KindNull: "null", KindAny: "any"}

// String returns the type as written in bex source: "Ticket", "int[]",
// "string?", "map<string, int>", "int | string", `"spam"`.
func (s *Schema) String() string {
	if s == nil {
		return "string"
	}
	switch s.Kind {
	case KindList:
		return wrapUnion(s.Elem) + "[]"
	case KindMap:
		return "map<string, " + s.Elem.String() + ">"
	case KindOptional:
		return wrapUnion(s.Elem) + "?"
	case KindUnion:
		parts := make([]string, len(s.Variants))
		for i, v := range s.Variants {
			parts[i] = v.String()
		}
		return strings.Join(parts, " | ")
	case KindLiteral:
		return literalText(s.Literal)
	case KindClass:
		return s.Class.Name
	case KindEnum:
		return s.Enum.Name
	}
	if n, ok := primNames[s.Kind]; ok {
		return n
	}
	return fmt.Sprintf("Kind(%d)", s.Kind)
}

func wrapUnion(s *Schema) string {
	if s != nil && s.Kind == KindUnion {
		return "(" + s.String() + ")"
	}
	return s.String()
}

func literalText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// kind returns s's kind, treating nil as string.
func (s *Schema) kind() Kind {
	if s == nil {
		return KindString
	}
	return s.Kind
}

// nullable reports whether null is a valid value of s.
func (s *Schema) nullable() bool {
	switch s.kind() {
	case KindOptional, KindNull, KindAny:
		return true
	case KindUnion:
		for _, v := range s.Variants {
			if v.nullable() {
				return true
			}
		}
	case KindLiteral:
		return s.Literal == nil
	}
	return false
}

// shownName returns the name the model sees for a field: its alias if any.
func (f *FieldSchema) shownName() string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// shownName returns the name the model sees for a variant: its alias if any.
func (v *EnumValueSchema) shownName() string {
	if v.Alias != "" {
		return v.Alias
	}
	return v.Name
}
