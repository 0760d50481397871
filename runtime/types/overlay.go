// overlay.go holds Overlay, the per-call additions to @@dynamic types.

package types

import "fmt"

// An Overlay holds what one call adds to the program's @@dynamic classes and
// enums: extra fields and extra enum values. The declared types are shared
// by every call and never change; a call that needs more (a type builder, in
// BAML's terms) builds an Overlay and passes it down, and whatever shows a
// type to a model or coerces a reply asks the overlay for the fields and
// values it sees. A nil *Overlay adds nothing.
//
// An Overlay is built by one goroutine and then only read; reading is safe
// for concurrent use.
type Overlay struct {
	fields map[*ClassDecl][]*Field
	values map[*EnumDecl][]*EnumValue
}

// AddField adds a field to a @@dynamic class for the calls that use o. It
// fails when c is not dynamic or already has a field of that name.
func (o *Overlay) AddField(c *ClassDecl, f *Field) error {
	if !c.Dynamic {
		return fmt.Errorf("class %s is not @@dynamic: fields cannot be added to it", c.Name)
	}
	for _, g := range o.Fields(c) {
		if g.Name == f.Name {
			return fmt.Errorf("class %s already has a field %s", c.Name, f.Name)
		}
	}
	if o.fields == nil {
		o.fields = map[*ClassDecl][]*Field{}
	}
	o.fields[c] = append(o.fields[c], f)
	return nil
}

// AddValue adds a value to a @@dynamic enum for the calls that use o. It
// fails when e is not dynamic or already has a value of that name.
func (o *Overlay) AddValue(e *EnumDecl, v *EnumValue) error {
	if !e.Dynamic {
		return fmt.Errorf("enum %s is not @@dynamic: values cannot be added to it", e.Name)
	}
	for _, w := range o.Values(e) {
		if w.Name == v.Name {
			return fmt.Errorf("enum %s already has a value %s", e.Name, v.Name)
		}
	}
	if o.values == nil {
		o.values = map[*EnumDecl][]*EnumValue{}
	}
	o.values[e] = append(o.values[e], v)
	return nil
}

// Fields returns c's declared fields followed by those o adds. The result
// is shared: do not modify it.
func (o *Overlay) Fields(c *ClassDecl) []*Field {
	if o == nil || len(o.fields[c]) == 0 {
		return c.Fields
	}
	return append(c.Fields[:len(c.Fields):len(c.Fields)], o.fields[c]...)
}

// Values returns e's declared values followed by those o adds. The result
// is shared: do not modify it.
func (o *Overlay) Values(e *EnumDecl) []*EnumValue {
	if o == nil || len(o.values[e]) == 0 {
		return e.Values
	}
	return append(e.Values[:len(e.Values):len(e.Values)], o.values[e]...)
}
