// types.go holds TypeBuilder: dynamic types, added per call to the
// program's @@dynamic classes and enums.

package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
)

// A TypeBuilder describes, for the calls made with it (WithTypes), what
// they add to the program's types: fields of @@dynamic classes, values of
// @@dynamic enums, and new classes and enums for those fields to use —
// BAML's TypeBuilder, for example categories loaded from a database. The
// declarations the program was compiled with never change: each call sees
// its own additions in {{ ctx.output_format }}, when its LLM replies are
// parsed and coerced, in the values it returns and in its spans.
//
// Types are written in bex syntax ("string", "Address[]", "Category?",
// "map<string, int>"); descriptions and aliases are shown to the model and
// read back from its reply as for declared fields and values. Additions
// are validated like declarations when the builder is built (Build, or
// the first call that uses it): an unknown type, a name the program or the
// builder already declares, a field or value added twice, a class or enum
// that is not @@dynamic are errors, all reported together.
//
// A TypeBuilder's methods are safe for concurrent use; once built it is
// immutable and may be used by concurrent calls. Adding to it after Build
// is an error (reported by the calls that use it).
type TypeBuilder struct {
	e       *Engine
	mu      sync.Mutex
	goDecls []syntax.Decl // from the methods, without positions
	dynamic map[string]*syntax.DynamicDecl
	srcs    []vm.TypeSource // from AddBAML and AddJSON
	errs    []error         // found while adding (bad type syntax, bad JSON)
	built   bool
	overlay *types.Overlay
	err     error
}

// NewTypeBuilder returns an empty type builder for the engine's program.
func (e *Engine) NewTypeBuilder() *TypeBuilder {
	return &TypeBuilder{e: e, dynamic: map[string]*syntax.DynamicDecl{}}
}

// goFile names the declarations made by TypeBuilder's methods in errors.
const goFile = "type builder"

// Class returns the builder of what the calls add to the @@dynamic class
// name.
func (b *TypeBuilder) Class(name string) *ClassBuilder {
	return &ClassBuilder{b: b, d: b.dynamicDecl(name, func(id *syntax.Ident) syntax.Decl { return &syntax.ClassDecl{Name: id} }).(*syntax.ClassDecl)}
}

// Enum returns the builder of the values the calls add to the @@dynamic
// enum name.
func (b *TypeBuilder) Enum(name string) *EnumBuilder {
	return &EnumBuilder{b: b, d: b.dynamicDecl(name, func(id *syntax.Ident) syntax.Decl { return &syntax.EnumDecl{Name: id} }).(*syntax.EnumDecl)}
}

// AddClass declares a new class, for the fields of dynamic classes (or of
// other new classes) to use as their type.
func (b *TypeBuilder) AddClass(name string) *ClassBuilder {
	d := &syntax.ClassDecl{Name: &syntax.Ident{Name: name}}
	b.add(d)
	return &ClassBuilder{b: b, d: d, new: true}
}

// AddEnum declares a new enum.
func (b *TypeBuilder) AddEnum(name string) *EnumBuilder {
	d := &syntax.EnumDecl{Name: &syntax.Ident{Name: name}}
	b.add(d)
	return &EnumBuilder{b: b, d: d, new: true}
}

// AddBAML adds the declarations of a BAML snippet, as a test's
// type_builder block holds them: classes and enums, and `dynamic class
// Name { ... }` and `dynamic enum Name { ... }` blocks that add fields and
// values. name is the snippet's name in error positions. A syntax error is
// returned at once.
func (b *TypeBuilder) AddBAML(name, src string) error {
	tb, err := syntax.ParseTypes(name, []byte(src))
	if err != nil {
		return err
	}
	added := false
	b.locked(func() { b.srcs, added = append(b.srcs, vm.TypeSource{File: name, Types: tb}), true })
	if !added {
		return errBuilt
	}
	return nil
}

var errBuilt = errors.New("type builder: already built; make a new one")

// TypesJSON is the JSON form of a type builder (AddJSON, bex run --types):
//
//	{"classes": [{"name": "Address", "description": "...",
//	              "fields": [{"name": "street", "type": "string",
//	                          "description": "...", "alias": "..."}]}],
//	 "enums": [{"name": "Hobby", "values": [{"name": "Soccer",
//	            "description": "...", "alias": "...", "skip": false}]}],
//	 "dynamic_classes": [{"name": "User", "fields": [...]}],
//	 "dynamic_enums": [{"name": "Category", "values": [...]}]}
//
// classes and enums declare new types; dynamic_classes and dynamic_enums
// add fields and values to the program's @@dynamic ones.
type TypesJSON struct {
	Classes        []ClassJSON `json:"classes"`
	Enums          []EnumJSON  `json:"enums"`
	DynamicClasses []ClassJSON `json:"dynamic_classes"`
	DynamicEnums   []EnumJSON  `json:"dynamic_enums"`
}

// ClassJSON is a class of TypesJSON.
type ClassJSON struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Fields      []FieldJSON `json:"fields"`
}

// FieldJSON is a field of TypesJSON; Type is in bex syntax.
type FieldJSON struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
	Alias       string `json:"alias,omitempty"`
}

// EnumJSON is an enum of TypesJSON.
type EnumJSON struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Values      []ValueJSON `json:"values"`
}

// ValueJSON is an enum value of TypesJSON.
type ValueJSON struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Alias       string `json:"alias,omitempty"`
	Skip        bool   `json:"skip,omitempty"`
}

// AddJSON adds the declarations of data, a TypesJSON document; unknown
// keys and malformed JSON are errors, returned at once.
func (b *TypeBuilder) AddJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var tj TypesJSON
	if err := dec.Decode(&tj); err != nil {
		return fmt.Errorf("type builder JSON: %w", err)
	}
	for _, c := range tj.Classes {
		b.addClassJSON(b.AddClass(c.Name).Description(c.Description), c)
	}
	for _, c := range tj.DynamicClasses {
		if c.Description != "" {
			return fmt.Errorf("type builder JSON: dynamic class %s: a description cannot be added at run time", c.Name)
		}
		b.addClassJSON(b.Class(c.Name), c)
	}
	for _, e := range tj.Enums {
		b.addEnumJSON(b.AddEnum(e.Name).Description(e.Description), e)
	}
	for _, e := range tj.DynamicEnums {
		if e.Description != "" {
			return fmt.Errorf("type builder JSON: dynamic enum %s: a description cannot be added at run time", e.Name)
		}
		b.addEnumJSON(b.Enum(e.Name), e)
	}
	return nil
}

func (b *TypeBuilder) addClassJSON(cb *ClassBuilder, c ClassJSON) {
	for _, f := range c.Fields {
		cb.AddField(f.Name, f.Type).Description(f.Description).Alias(f.Alias)
	}
}

func (b *TypeBuilder) addEnumJSON(eb *EnumBuilder, e EnumJSON) {
	for _, v := range e.Values {
		vb := eb.AddValue(v.Name).Description(v.Description).Alias(v.Alias)
		if v.Skip {
			vb.Skip()
		}
	}
}

// Build validates the additions and returns them as the overlay the calls
// use. It is done once: later calls return the same result. Errors are
// those of the declarations (see TypeBuilder): a syntax.ErrorList for the
// BAML snippets and JSON, with positions; additions made by the methods
// have no position and name their class or enum instead.
func (b *TypeBuilder) Build() (*types.Overlay, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.built {
		return b.overlay, b.err
	}
	b.built = true
	if len(b.errs) > 0 {
		b.err = errors.Join(b.errs...)
		return nil, b.err
	}
	srcs := b.srcs
	if len(b.goDecls) > 0 {
		srcs = append([]vm.TypeSource{{File: goFile, Types: &syntax.TypeBuilder{Decls: b.goDecls}}}, srcs...)
	}
	b.overlay, b.err = b.e.prog.BuildTypes(srcs...)
	return b.overlay, b.err
}

func (b *TypeBuilder) add(d syntax.Decl) { b.locked(func() { b.goDecls = append(b.goDecls, d) }) }

// dynamicDecl returns the dynamic block for name, making it on first use.
func (b *TypeBuilder) dynamicDecl(name string, mk func(*syntax.Ident) syntax.Decl) syntax.Decl {
	b.mu.Lock()
	d, ok := b.dynamic[name]
	if !ok {
		d = &syntax.DynamicDecl{Decl: mk(&syntax.Ident{Name: name})}
		b.dynamic[name] = d
	}
	b.mu.Unlock()
	if !ok {
		b.add(d)
	}
	if _, class := d.Decl.(*syntax.ClassDecl); class != isClassMaker(mk) {
		b.fail(fmt.Errorf("type builder: %s is used both as a class and as an enum", name))
		return mk(&syntax.Ident{Name: name})
	}
	return d.Decl
}

func isClassMaker(mk func(*syntax.Ident) syntax.Decl) bool {
	_, ok := mk(&syntax.Ident{}).(*syntax.ClassDecl)
	return ok
}

func (b *TypeBuilder) fail(err error) { b.locked(func() { b.errs = append(b.errs, err) }) }

// locked runs f holding b's lock (the methods may be called from several
// goroutines while a builder is filled). Once b is built it runs nothing:
// the builder then fails the calls that use it with errBuilt.
func (b *TypeBuilder) locked(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.built {
		if !errors.Is(b.err, errBuilt) {
			b.overlay, b.err = nil, errors.Join(b.err, errBuilt)
		}
		return
	}
	f()
}

// A ClassBuilder adds fields to a class: a @@dynamic class of the program
// (TypeBuilder.Class) or a new one (TypeBuilder.AddClass).
type ClassBuilder struct {
	b   *TypeBuilder
	d   *syntax.ClassDecl
	new bool
}

// AddField adds a field of type typ (in bex syntax, such as "string",
// "Address[]" or "int?").
func (c *ClassBuilder) AddField(name, typ string) *FieldBuilder {
	te, err := syntax.ParseType(goFile, []byte(strings.TrimSpace(typ)))
	if err != nil {
		c.b.fail(fmt.Errorf("type builder: class %s: field %s: type %q: %w", c.d.Name.Name, name, typ, err))
		te = &syntax.NamedType{Name: "any"}
	}
	noPositions(te) // positions in the type's text would read as positions in a file
	f := &syntax.Field{Name: &syntax.Ident{Name: name}, Type: te}
	c.b.locked(func() { c.d.Fields = append(c.d.Fields, f) })
	return &FieldBuilder{b: c.b, f: f}
}

// Description sets the description of a new class (shown to the model);
// the description of a declared class cannot change.
func (c *ClassBuilder) Description(text string) *ClassBuilder {
	c.b.describe("class", c.d.Name.Name, c.new, &c.d.Attrs, text)
	return c
}

// describe adds the @@description text to attrs, those of the new or
// declared (isNew false) class or enum name; kind names which.
func (b *TypeBuilder) describe(kind, name string, isNew bool, attrs *[]*syntax.Attr, text string) {
	switch {
	case text == "":
	case !isNew:
		b.fail(fmt.Errorf("type builder: %s %s: the description of a declared %s cannot change", kind, name, kind))
	default:
		b.locked(func() { *attrs = append(*attrs, textAttr("description", text, true)) })
	}
}

// A FieldBuilder sets the attributes of an added field.
type FieldBuilder struct {
	b *TypeBuilder
	f *syntax.Field
}

// Description sets the field's description, shown to the model.
func (f *FieldBuilder) Description(text string) *FieldBuilder {
	return f.attr("description", text)
}

// Alias sets the name the model is shown and replies with.
func (f *FieldBuilder) Alias(name string) *FieldBuilder { return f.attr("alias", name) }

func (f *FieldBuilder) attr(name, text string) *FieldBuilder {
	if text != "" {
		f.b.locked(func() { f.f.Attrs = append(f.f.Attrs, textAttr(name, text, false)) })
	}
	return f
}

// An EnumBuilder adds values to an enum: a @@dynamic enum of the program
// (TypeBuilder.Enum) or a new one (TypeBuilder.AddEnum).
type EnumBuilder struct {
	b   *TypeBuilder
	d   *syntax.EnumDecl
	new bool
}

// AddValue adds a value.
func (e *EnumBuilder) AddValue(name string) *EnumValueBuilder {
	v := &syntax.EnumValue{Name: &syntax.Ident{Name: name}}
	e.b.locked(func() { e.d.Values = append(e.d.Values, v) })
	return &EnumValueBuilder{b: e.b, v: v}
}

// Description sets the description of a new enum (shown to the model);
// the description of a declared enum cannot change.
func (e *EnumBuilder) Description(text string) *EnumBuilder {
	e.b.describe("enum", e.d.Name.Name, e.new, &e.d.Attrs, text)
	return e
}

// An EnumValueBuilder sets the attributes of an added enum value.
type EnumValueBuilder struct {
	b *TypeBuilder
	v *syntax.EnumValue
}

// Description sets the value's description, shown to the model (and
// matched in its reply, as for declared values).
func (v *EnumValueBuilder) Description(text string) *EnumValueBuilder {
	return v.attr(textAttr("description", text, false), text != "")
}

// Alias sets the name the model is shown and replies with.
func (v *EnumValueBuilder) Alias(name string) *EnumValueBuilder {
	return v.attr(textAttr("alias", name, false), name != "")
}

// Skip hides the value from the model and from parsing (@skip).
func (v *EnumValueBuilder) Skip() *EnumValueBuilder {
	return v.attr(&syntax.Attr{Name: "skip"}, true)
}

func (v *EnumValueBuilder) attr(a *syntax.Attr, ok bool) *EnumValueBuilder {
	if ok {
		v.b.locked(func() { v.v.Attrs = append(v.v.Attrs, a) })
	}
	return v
}

// textAttr is @name("text") (@@name for a block attribute).
func textAttr(name, text string, block bool) *syntax.Attr {
	return &syntax.Attr{Name: name, Block: block, Args: []syntax.Expr{&syntax.Literal{Kind: syntax.StringLit, Raw: fmt.Sprintf("%q", text), Value: text}}}
}

// noPositions clears the positions of a type expression parsed from a Go
// string, so that errors name its class and field instead.
func noPositions(te syntax.TypeExpr) {
	syntax.Walk(te, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.NamedType:
			n.NamePos = syntax.Pos{}
		case *syntax.MapType:
			n.Map = syntax.Pos{}
		case *syntax.FuncType:
			n.Lparen = syntax.Pos{}
		case *syntax.Literal:
			n.ValuePos = syntax.Pos{}
		case *syntax.Attr:
			n.At = syntax.Pos{}
		}
		return true
	})
}
