// decl.go holds the declared types: classes, enums and aliases, with the
// attributes that streaming and constraints use.

package types

import (
	"strings"

	"github.com/bexrun/bex/runtime/syntax"
)

// A ClassDecl is a class declaration. Fields keep declaration order, which is
// the order of an instance's fields, of the fields shown to a model and of
// the fields in a coerced reply.
type ClassDecl struct {
	Name        string
	Alias       string // @@alias: the name shown to a model
	Description string // @@description
	Fields      []*Field
	Methods     []*Method
	// Dynamic marks a @@dynamic class: a call may add fields to it through
	// an Overlay.
	Dynamic bool
	Stream  Stream        // @@stream.done and friends on the class
	Checks  []*Constraint // @@check and @@assert on the class
	File    string
	Pos     syntax.Pos

	index map[string]int
}

// NewClass returns a class with the given name and fields.
func NewClass(name string, fields ...*Field) *ClassDecl {
	c := &ClassDecl{Name: name}
	for _, f := range fields {
		c.AddField(f)
	}
	return c
}

// AddField appends f to c's fields. It reports false, adding nothing, when
// c already has a field of that name. Only the compiler adds fields, before
// c is shared.
func (c *ClassDecl) AddField(f *Field) bool {
	if c.index == nil {
		c.index = map[string]int{}
	}
	if _, dup := c.index[f.Name]; dup {
		return false
	}
	c.index[f.Name] = len(c.Fields)
	c.Fields = append(c.Fields, f)
	return true
}

// FieldIndex returns the index of the field named name, or -1.
func (c *ClassDecl) FieldIndex(name string) int {
	if i, ok := c.index[name]; ok {
		return i
	}
	for i, f := range c.Fields { // a class built without AddField
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Field returns the field named name, or nil.
func (c *ClassDecl) Field(name string) *Field {
	if i := c.FieldIndex(name); i >= 0 {
		return c.Fields[i]
	}
	return nil
}

// Method returns the method named name, or nil.
func (c *ClassDecl) Method(name string) *Method {
	for _, m := range c.Methods {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// ShownName returns the name a model sees for the class: its alias if any.
func (c *ClassDecl) ShownName() string {
	if c.Alias != "" {
		return c.Alias
	}
	return c.Name
}

// A Field is one field of a class.
type Field struct {
	Name        string
	Alias       string // @alias: the name shown to a model and looked for in replies
	Description string // @description
	Type        *Type
	Skip        bool          // @skip: never shown to a model nor parsed from a reply
	Stream      Stream        // @stream.done, @stream.not_null, @stream.with_state
	Checks      []*Constraint // @check and @assert on the field
	Pos         syntax.Pos
}

// ShownName returns the name a model sees for the field: its alias if any.
func (f *Field) ShownName() string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// A Method is a function declared inside a class. A method whose first
// parameter is self is called on an instance (p.norm()); the others are
// called on the class (Point.origin()). Sig excludes self.
type Method struct {
	Name   string
	Self   bool // the first parameter is self
	Sig    *Signature
	Func   string // the name of the compiled function that implements it
	Traced bool
}

// An EnumDecl is an enum declaration.
type EnumDecl struct {
	Name        string
	Alias       string
	Description string
	Values      []*EnumValue
	Dynamic     bool // @@dynamic: a call may add values through an Overlay
	File        string
	Pos         syntax.Pos
}

// An EnumValue is one variant of an enum.
type EnumValue struct {
	Name        string
	Alias       string
	Description string
	Skip        bool
}

// ShownName returns the name a model sees for the variant: its alias if any.
func (v *EnumValue) ShownName() string {
	if v.Alias != "" {
		return v.Alias
	}
	return v.Name
}

// ValueIndex returns the index of the variant named name, or -1.
func (e *EnumDecl) ValueIndex(name string) int {
	for i, v := range e.Values {
		if v.Name == name {
			return i
		}
	}
	return -1
}

// Lookup returns the variant whose name or alias matches s ignoring case,
// preferring an exact match of the name, or -1.
func (e *EnumDecl) Lookup(s string) int {
	if i := e.ValueIndex(s); i >= 0 {
		return i
	}
	for i, v := range e.Values {
		if strings.EqualFold(v.Name, s) || (v.Alias != "" && strings.EqualFold(v.Alias, s)) {
			return i
		}
	}
	return -1
}

// An AliasDecl is a type alias, `type Name = T`. Aliases may be recursive
// (type Json = string | Json[] | map<string, Json>): Type then refers back
// to the alias through a Type of kind Alias.
type AliasDecl struct {
	Name string
	Type *Type
	File string
	Pos  syntax.Pos
}

// Stream holds the streaming attributes of a field or class (SPEC §9):
// whether a partial value shows the field only once it is complete, never
// as null, and with its completion state.
type Stream struct {
	Done      bool // @stream.done
	NotNull   bool // @stream.not_null
	WithState bool // @stream.with_state
}

// A ConstraintKind says what a failed constraint does.
type ConstraintKind uint8

// The constraint kinds.
const (
	Assert ConstraintKind = iota + 1 // @assert: a failure is an error
	Check                            // @check: a failure is recorded, the value kept
)

// A Constraint is an @assert or @check attribute: a Jinja expression over
// the value (`this`), with an optional name.
type Constraint struct {
	Kind ConstraintKind
	Name string // "" when unnamed (an unnamed @check is an error)
	Expr string // the Jinja expression, without {{ }}
	Pos  syntax.Pos
}
