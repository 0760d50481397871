// dynamic.go resolves type builders: the classes, enums, fields and values
// one call (or one test) adds to a compiled program's types.

package compile

import (
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// BuildTypes resolves a type builder against a compiled program, as the
// declarations of the program are resolved: its classes and enums are new
// types (named like no declaration of the program), and its dynamic blocks
// add fields to the program's @@dynamic classes and values to its
// @@dynamic enums. The declarations stay as they are: what the builder adds
// is in the returned Overlay. Types are named as in the program; the new
// classes and enums of all the sources may name each other and the
// program's types. Errors carry positions in their source's file (those of
// declarations built without positions name their class or enum instead):
// unknown types, a name declared twice,
// a dynamic block for a type that is not @@dynamic, a field or value added
// twice, unknown attributes.
func BuildTypes(p *Program, srcs ...TypeSource) (*types.Overlay, syntax.ErrorList) {
	declared := map[string]site{}
	for _, fn := range p.Funcs {
		if !fn.Hidden && fn.File != "" {
			declared[fn.Name] = site{fn.File, fn.Pos}
		}
	}
	c := derived(p.Classes, p.Enums, p.Aliases, declared)
	o := c.buildTypes(srcs)
	c.sortDiags()
	if c.errorCount() > 0 {
		return nil, c.diags
	}
	return o, nil
}

// A TypeSource is a type builder and the file its positions are in.
type TypeSource struct {
	File  string
	Types *syntax.TypeBuilder
}

// derived returns a compiler that resolves names as a program with these
// declarations does, and declares new ones without changing them.
func derived(classes []*types.ClassDecl, enums []*types.EnumDecl, aliases []*types.AliasDecl, declared map[string]site) *compiler {
	c := &compiler{
		prog: new(Program), classes: map[string]*types.ClassDecl{}, enums: map[string]*types.EnumDecl{},
		aliases: map[string]*types.AliasDecl{}, declared: map[string]site{}, weak: map[*types.Type]bool{},
	}
	for k, v := range declared {
		c.declared[k] = v
	}
	for _, cl := range classes {
		c.classes[cl.Name], c.declared[cl.Name] = cl, site{cl.File, cl.Pos}
	}
	for _, en := range enums {
		c.enums[en.Name], c.declared[en.Name] = en, site{en.File, en.Pos}
	}
	for _, a := range aliases {
		c.aliases[a.Name], c.declared[a.Name] = a, site{a.File, a.Pos}
	}
	return c
}

// buildTypes declares the sources' new classes and enums, resolves their
// fields, and adds the fields and values of their dynamic blocks to an
// Overlay.
func (c *compiler) buildTypes(srcs []TypeSource) *types.Overlay {
	o := new(types.Overlay)
	type newClass struct {
		file string
		d    *syntax.ClassDecl
	}
	var classes []newClass
	for _, src := range srcs {
		file := src.File
		for _, d := range src.Types.Decls {
			switch d := d.(type) {
			case *syntax.ClassDecl:
				c.checkUpper(file, d.Name, "class")
				if c.declare(file, d.Name) {
					c.classes[d.Name.Name] = &types.ClassDecl{Name: d.Name.Name, File: file, Pos: d.Name.NamePos}
					classes = append(classes, newClass{file, d})
				}
			case *syntax.EnumDecl:
				c.checkUpper(file, d.Name, "enum")
				if c.declare(file, d.Name) {
					c.declareEnum(file, d)
				}
			}
		}
	}
	for _, nc := range classes {
		cl := c.classes[nc.d.Name.Name]
		c.within(nc.d.Name.NamePos, "class "+cl.Name+": ", func() {
			c.classAttrs(nc.file, cl, nc.d.Attrs)
			for _, fd := range nc.d.Fields {
				c.addField(nc.file, cl, fd, nil)
			}
		})
	}
	for _, src := range srcs {
		for _, d := range src.Types.Decls {
			if dd, ok := d.(*syntax.DynamicDecl); ok {
				c.dynamicDecl(src.File, dd, o)
			}
		}
	}
	return o
}

// dynamicDecl adds the fields or values of a dynamic block to o.
func (c *compiler) dynamicDecl(file string, d *syntax.DynamicDecl, o *types.Overlay) {
	switch d := d.Decl.(type) {
	case *syntax.ClassDecl:
		cl := c.classes[d.Name.Name]
		if cl == nil {
			c.errorf(file, d.Name.NamePos, "dynamic class %s: no class %s is declared", d.Name.Name, d.Name.Name)
			return
		}
		c.within(d.Name.NamePos, "class "+cl.Name+": ", func() {
			for _, a := range d.Attrs {
				c.errorf(file, a.At, "dynamic class %s: block attribute %s cannot be added at run time", cl.Name, attrName(a))
			}
			for _, fd := range d.Fields {
				c.addField(file, cl, fd, o)
			}
		})
	case *syntax.EnumDecl:
		en := c.enums[d.Name.Name]
		if en == nil {
			c.errorf(file, d.Name.NamePos, "dynamic enum %s: no enum %s is declared", d.Name.Name, d.Name.Name)
			return
		}
		c.within(d.Name.NamePos, "enum "+en.Name+": ", func() {
			for _, a := range d.Attrs {
				c.errorf(file, a.At, "dynamic enum %s: block attribute %s cannot be added at run time", en.Name, attrName(a))
			}
			for _, v := range d.Values {
				ev := c.enumValue(file, v)
				if en.ValueIndex(ev.Name) >= 0 {
					c.errorf(file, v.Name.NamePos, "enum %s already has a value %s", en.Name, ev.Name)
					continue
				}
				if err := o.AddValue(en, ev); err != nil {
					c.errorf(file, v.Name.NamePos, "%v", err)
				}
			}
		})
	}
}

// addField resolves a field and adds it to cl: to the new class itself
// when o is nil, else to o (cl is then a declared @@dynamic class).
func (c *compiler) addField(file string, cl *types.ClassDecl, fd *syntax.Field, o *types.Overlay) {
	c.within(fd.Name.NamePos, "field "+fd.Name.Name+": ", func() { c.addFieldIn(file, cl, fd, o) })
}

func (c *compiler) addFieldIn(file string, cl *types.ClassDecl, fd *syntax.Field, o *types.Overlay) {
	c.checkName(file, fd.Name, "field")
	f := &types.Field{Name: fd.Name.Name, Type: c.resolveType(file, fd.Type), Pos: fd.Name.NamePos}
	c.fieldAttrs(file, f, fd.Attrs)
	switch {
	case o == nil:
		if !cl.AddField(f) {
			c.errorf(file, fd.Name.NamePos, "class %s: field %s redeclared", cl.Name, f.Name)
		}
	default:
		if err := o.AddField(cl, f); err != nil {
			c.errorf(file, fd.Name.NamePos, "%v", err)
		}
	}
}

// within runs fn; the errors it reports without a position (declarations
// built by a Go type builder have none) get pos, else the prefix that
// names their declaration.
func (c *compiler) within(pos syntax.Pos, prefix string, fn func()) {
	n := len(c.diags)
	fn()
	for _, d := range c.diags[n:] {
		if !d.Pos.IsValid() {
			if pos.IsValid() {
				d.Pos = pos
			} else {
				d.Msg = prefix + d.Msg
			}
		}
	}
}
