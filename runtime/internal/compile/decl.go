// decl.go holds the declaration passes: classes, enums, aliases, functions,
// methods, globals and host functions, with their attributes.

package compile

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// declareTypes registers every top-level name, so that types and functions
// may refer to declarations in any order and any file.
func (c *compiler) declareTypes(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *syntax.ClassDecl:
				c.checkUpper(f.Name, d.Name, "class")
				if c.declare(f.Name, d.Name) {
					cl := &types.ClassDecl{Name: d.Name.Name, File: f.Name, Pos: d.Name.NamePos}
					c.classes[cl.Name] = cl
					c.prog.Classes = append(c.prog.Classes, cl)
				}
			case *syntax.EnumDecl:
				c.checkUpper(f.Name, d.Name, "enum")
				if c.declare(f.Name, d.Name) {
					c.declareEnum(f.Name, d)
				}
			case *syntax.TypeAliasDecl:
				c.checkUpper(f.Name, d.Name, "type alias")
				if c.declare(f.Name, d.Name) {
					a := &types.AliasDecl{Name: d.Name.Name, File: f.Name, Pos: d.Name.NamePos}
					c.aliases[a.Name] = a
					c.prog.Aliases = append(c.prog.Aliases, a)
				}
			case *syntax.ClientDecl:
				if c.declare(f.Name, d.Name) {
					c.prog.Clients = append(c.prog.Clients, Decl[*syntax.ClientDecl]{f.Name, d})
				}
			case *syntax.RetryPolicyDecl:
				if c.declare(f.Name, d.Name) {
					c.prog.RetryPolicies = append(c.prog.RetryPolicies, Decl[*syntax.RetryPolicyDecl]{f.Name, d})
				}
			}
		}
	}
}

func (c *compiler) declareEnum(file string, d *syntax.EnumDecl) {
	en := &types.EnumDecl{Name: d.Name.Name, File: file, Pos: d.Name.NamePos}
	c.onceAttrs(file, d.Attrs)
	for _, a := range d.Attrs {
		switch a.Name {
		case "alias":
			en.Alias = c.attrString(file, a)
		case "description":
			en.Description = c.attrString(file, a)
		case "dynamic":
			en.Dynamic = true
		default:
			c.unknownAttr(file, a, "enum")
		}
	}
	for _, v := range d.Values {
		if en.ValueIndex(v.Name.Name) >= 0 {
			c.errorf(file, v.Name.NamePos, "enum %s: value %s redeclared", en.Name, v.Name.Name)
			continue
		}
		en.Values = append(en.Values, c.enumValue(file, v))
	}
	c.enums[en.Name] = en
	c.prog.Enums = append(c.prog.Enums, en)
}

// enumValue resolves an enum value and its attributes.
func (c *compiler) enumValue(file string, v *syntax.EnumValue) *types.EnumValue {
	c.checkUpper(file, v.Name, "enum value")
	ev := &types.EnumValue{Name: v.Name.Name}
	c.onceAttrs(file, v.Attrs)
	for _, a := range v.Attrs {
		switch a.Name {
		case "alias":
			ev.Alias = c.attrString(file, a)
		case "description":
			ev.Description = c.attrString(file, a)
		case "skip":
			ev.Skip = true
		default:
			c.unknownAttr(file, a, "enum value")
		}
	}
	return ev
}

// checkUpper reports a class, enum, enum value or alias whose name does not
// start with an upper-case letter, which BAML requires.
func (c *compiler) checkUpper(file string, id *syntax.Ident, what string) {
	if r, _ := utf8.DecodeRuneInString(id.Name); !unicode.IsUpper(r) {
		c.errorf(file, id.NamePos, "invalid name for %s %s: it must start with an upper-case letter", what, id.Name)
	}
}

// resolveAliases resolves the type of every alias and reports aliases that
// stand for themselves without going through a list or a map.
func (c *compiler) resolveAliases(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			if d, ok := d.(*syntax.TypeAliasDecl); ok {
				if a := c.aliases[d.Name.Name]; a != nil && a.Pos == d.Name.NamePos {
					a.Type = c.resolveType(f.Name, d.Type)
				}
			}
		}
	}
	var cyclic []*types.AliasDecl
	for _, a := range c.prog.Aliases {
		if path := aliasCycle(a, a.Type, nil); path != nil {
			c.errorf(a.File, a.Pos, "these aliases form a dependency cycle: %s", strings.Join(path, " -> "))
			cyclic = append(cyclic, a)
		}
	}
	for _, a := range cyclic {
		a.Type = types.AnyType
	}
}

// aliasCycle returns the path of aliases by which t leads back to a without
// passing through a list or a map (where recursion is finite), or nil.
func aliasCycle(a *types.AliasDecl, t *types.Type, path []string) []string {
	if t == nil || len(path) > 64 {
		return nil
	}
	switch t.Kind {
	case types.Alias:
		path = append(path, t.Alias.Name)
		if t.Alias == a {
			return append([]string{a.Name}, path[:len(path)-1]...)
		}
		for _, p := range path[:len(path)-1] {
			if p == t.Alias.Name {
				return nil // a cycle that does not include a: reported for its own aliases
			}
		}
		return aliasCycle(a, t.Alias.Type, path)
	case types.Optional:
		return aliasCycle(a, t.Elem, path)
	case types.Union:
		for _, v := range t.Variants {
			if p := aliasCycle(a, v, path); p != nil {
				return p
			}
		}
	}
	return nil
}

// resolveClasses resolves the fields and attributes of every class.
func (c *compiler) resolveClasses(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			d, ok := d.(*syntax.ClassDecl)
			if !ok || c.classes[d.Name.Name] == nil || c.classes[d.Name.Name].Pos != d.Name.NamePos {
				continue
			}
			cl := c.classes[d.Name.Name]
			c.classAttrs(f.Name, cl, d.Attrs)
			for _, fd := range d.Fields {
				c.checkName(f.Name, fd.Name, "field")
				fld := &types.Field{Name: fd.Name.Name, Type: c.resolveType(f.Name, fd.Type), Pos: fd.Name.NamePos}
				c.fieldAttrs(f.Name, fld, fd.Attrs)
				if !cl.AddField(fld) {
					c.errorf(f.Name, fd.Name.NamePos, "class %s: field %s redeclared", cl.Name, fd.Name.Name)
				}
			}
		}
	}
}

func (c *compiler) classAttrs(file string, cl *types.ClassDecl, attrs []*syntax.Attr) {
	c.onceAttrs(file, attrs)
	for _, a := range attrs {
		switch {
		case a.Name == "dynamic":
			cl.Dynamic = true
		case !c.describedAttr(file, a, &cl.Alias, &cl.Description, &cl.Checks, &cl.Stream):
			c.unknownAttr(file, a, "class")
		}
	}
}

func (c *compiler) fieldAttrs(file string, f *types.Field, attrs []*syntax.Attr) {
	c.onceAttrs(file, attrs)
	for _, a := range attrs {
		switch {
		case a.Name == "skip":
			f.Skip = true
		case !c.describedAttr(file, a, &f.Alias, &f.Description, &f.Checks, &f.Stream):
			c.unknownAttr(file, a, "field")
		}
	}
}

// describedAttr applies an attribute classes and fields share: @alias,
// @description, @assert, @check and @stream.*, reporting whether a was one.
func (c *compiler) describedAttr(file string, a *syntax.Attr, alias, desc *string, checks *[]*types.Constraint, stream *types.Stream) bool {
	switch a.Name {
	case "alias":
		*alias = c.attrString(file, a)
	case "description":
		*desc = c.attrString(file, a)
	case "assert", "check":
		*checks = append(*checks, c.constraint(file, a))
	default:
		return c.streamAttr(stream, a)
	}
	return true
}

// streamAttr applies a @stream.* attribute, reporting whether a was one.
func (c *compiler) streamAttr(s *types.Stream, a *syntax.Attr) bool {
	switch a.Name {
	case "stream.done":
		s.Done = true
	case "stream.not_null":
		s.NotNull = true
	case "stream.with_state":
		s.WithState = true
	default:
		return false
	}
	return true
}

// onceAttrs reports an attribute given twice on one declaration, as BAML
// does; only @assert and @check may repeat.
func (c *compiler) onceAttrs(file string, attrs []*syntax.Attr) {
	seen := map[string]bool{}
	for _, a := range attrs {
		if a.Name == "assert" || a.Name == "check" {
			continue
		}
		if seen[a.Name] {
			c.errorf(file, a.At, "attribute %s can only be given once", attrName(a))
		}
		seen[a.Name] = true
	}
}

func attrName(a *syntax.Attr) string {
	if a.Block {
		return "@@" + a.Name
	}
	return "@" + a.Name
}

func (c *compiler) unknownAttr(file string, a *syntax.Attr, on string) {
	c.errorf(file, a.At, "unknown %s attribute %s", on, attrName(a))
}

// attrString returns the text argument of an attribute: a string, an
// unquoted word or a Jinja expression.
func (c *compiler) attrString(file string, a *syntax.Attr) string {
	if len(a.Args) == 1 {
		if w := syntax.Word(a.Args[0]); w != "" {
			return w
		}
	}
	c.errorf(file, a.At, "@%s takes one string argument", a.Name)
	return ""
}

// constraint reads @assert(name, {{ expr }}), @assert({{ expr }}) and the
// same forms of @check.
func (c *compiler) constraint(file string, a *syntax.Attr) *types.Constraint {
	k := &types.Constraint{Kind: types.Assert, Pos: a.At}
	if a.Name == "check" {
		k.Kind = types.Check
	}
	args := a.Args
	if len(args) == 2 {
		switch x := args[0].(type) {
		case *syntax.Ident:
			k.Name = x.Name
		case *syntax.Literal:
			k.Name = syntax.Word(x)
		}
		args = args[1:]
	}
	if len(args) == 1 {
		if lit, ok := args[0].(*syntax.Literal); ok && strings.HasPrefix(lit.Raw, "{{") {
			k.Expr = strings.TrimSpace(lit.Value.(string))
		}
	}
	switch {
	case k.Expr == "":
		c.errorf(file, a.At, "@%s takes a Jinja expression {{ ... }}, optionally after a name", a.Name)
	case k.Kind == types.Check && k.Name == "":
		c.errorf(file, a.At, "@check needs a name: @check(name, {{ ... }})")
	}
	return k
}

// checkClassCycles reports classes that contain themselves through
// required fields: no finite value of such a class exists.
func (c *compiler) checkClassCycles() {
	reported := map[*types.ClassDecl]bool{}
	for _, cl := range c.prog.Classes {
		if reported[cl] {
			continue
		}
		if path := classCycle(cl, cl, nil); path != nil {
			names := make([]string, len(path))
			for i, p := range path {
				names[i] = p.Name
				reported[p] = true
			}
			c.errorf(cl.File, cl.Pos, "these classes form a dependency cycle: %s", strings.Join(names, " -> "))
		}
	}
}

// classCycle returns the classes through whose required fields from leads
// back to start, or nil.
func classCycle(start, from *types.ClassDecl, path []*types.ClassDecl) []*types.ClassDecl {
	path = append(path, from)
	if len(path) > 64 {
		return nil
	}
	for _, f := range from.Fields {
		t := f.Type.Underlying()
		if t == nil || t.Kind != types.Class {
			continue
		}
		if t.Class == start {
			return path
		}
		seen := false
		for _, p := range path {
			seen = seen || p == t.Class
		}
		if !seen {
			if p := classCycle(start, t.Class, path); p != nil {
				return p
			}
		}
	}
	return nil
}

// declareFuncs creates a Func for every function, method, global
// initializer and host function.
func (c *compiler) declareFuncs(files []*syntax.File, hosts []*HostSig) {
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *syntax.FuncDecl:
				if c.declare(f.Name, d.Name) {
					c.addFunc(c.funcDecl(f.Name, d, d.Name.Name, nil))
				}
			case *syntax.ClassDecl:
				if cl := c.classes[d.Name.Name]; cl != nil && cl.Pos == d.Name.NamePos {
					c.declareMethods(f.Name, cl, d.Methods)
				}
			case *syntax.GlobalDecl:
				if c.declare(f.Name, d.Let.Name) {
					c.declareGlobal(f.Name, d)
				}
			}
		}
	}
	c.declareHosts(hosts)
}

func (c *compiler) declareMethods(file string, cl *types.ClassDecl, decls []*syntax.FuncDecl) {
	for _, d := range decls {
		name := d.Name.Name
		switch {
		case cl.Method(name) != nil:
			c.errorf(file, d.Name.NamePos, "class %s: method %s redeclared", cl.Name, name)
			continue
		case cl.FieldIndex(name) >= 0:
			c.errorf(file, d.Name.NamePos, "class %s has both a field and a method named %s", cl.Name, name)
			continue
		}
		fn := c.funcDecl(file, d, cl.Name+"."+name, cl)
		if fn.Kind != FuncExpr {
			c.errorf(file, d.Name.NamePos, "method %s.%s must have an expression body", cl.Name, name)
		}
		m := &types.Method{Name: name, Func: fn.Name, Traced: fn.Traced, Sig: fn.Sig}
		if len(d.Params) > 0 && d.Params[0].Name.Name == "self" && d.Params[0].Type == nil {
			m.Self = true
			m.Sig = &types.Signature{Params: fn.Sig.Params[1:], Result: fn.Sig.Result}
		}
		cl.Methods = append(cl.Methods, m)
		fn.Hidden = true
		c.addFunc(fn)
	}
}

func (c *compiler) funcDecl(file string, d *syntax.FuncDecl, name string, cl *types.ClassDecl) *Func {
	fn := &Func{Name: name, File: file, Pos: d.Name.NamePos, Decl: d, Kind: FuncExpr, Sig: &types.Signature{}}
	seen := map[string]bool{}
	for i, p := range d.Params {
		if seen[p.Name.Name] {
			c.errorf(file, p.Name.NamePos, "parameter %s redeclared", p.Name.Name)
		}
		seen[p.Name.Name] = true
		var t *types.Type
		switch {
		case p.Type == nil && i == 0 && cl != nil:
			t = types.ClassOf(cl) // self
		case p.Type == nil:
			c.errorf(file, p.Name.NamePos, "self is only a parameter of methods (write %s: Type)", p.Name.Name)
			t = types.AnyType
		default:
			c.checkName(file, p.Name, "parameter")
			t = c.resolveType(file, p.Type)
		}
		fn.Sig.Params = append(fn.Sig.Params, &types.Param{Name: p.Name.Name, Type: t})
	}
	if d.Result == nil {
		c.errorf(file, d.Name.NamePos, "function %s must have a return type, e.g. function %s(...) -> string", d.Name.Name, d.Name.Name)
		fn.Sig.Result = types.AnyType
	} else {
		fn.Sig.Result = c.resolveType(file, d.Result)
	}
	if d.Body == nil && d.LLM == nil {
		c.errorf(file, d.Name.NamePos, "function %s has no body", d.Name.Name)
		fn.Kind = FuncLLM // never compiled
	}
	if d.LLM != nil {
		fn.Kind = FuncLLM
		fn.Traced = true
		for i, p := range fn.Sig.Params {
			if hasCheck(p.Type, map[*types.ClassDecl]bool{}) {
				c.errorf(file, d.Params[i].Name.NamePos, "types with @check are not allowed as parameters of an LLM function (parameter %s: %s)", p.Name, p.Type)
			}
		}
	}
	for _, a := range d.Attrs {
		switch a.Name {
		case "trace":
			fn.Traced = true
		default:
			c.errorf(file, a.At, "unknown function attribute @@%s", a.Name)
		}
	}
	return fn
}

// hasCheck reports whether a value of type t holds a @check constraint: on
// the type itself, or on a field of a class it holds (BAML refuses such
// types as LLM function parameters).
func hasCheck(t *types.Type, seen map[*types.ClassDecl]bool) bool {
	if t == nil || len(seen) > 64 {
		return false
	}
	for _, k := range t.Checks {
		if k.Kind == types.Check {
			return true
		}
	}
	switch t.Kind {
	case types.List, types.Optional, types.Map:
		return hasCheck(t.Elem, seen)
	case types.Union:
		for _, v := range t.Variants {
			if hasCheck(v, seen) {
				return true
			}
		}
	case types.Alias:
		return hasCheck(t.Alias.Type, seen)
	case types.Class:
		if seen[t.Class] {
			return false
		}
		seen[t.Class] = true
		for _, f := range t.Class.Fields {
			for _, k := range f.Checks {
				if k.Kind == types.Check {
					return true
				}
			}
			if hasCheck(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

func (c *compiler) declareGlobal(file string, d *syntax.GlobalDecl) {
	c.checkName(file, d.Let.Name, "variable")
	g := &Global{Name: d.Let.Name.Name, File: file, Pos: d.Let.Name.NamePos, decl: d, Index: len(c.prog.Globals), Type: types.AnyType}
	init := &Func{Name: "let " + g.Name, Kind: FuncExpr, File: file, Pos: g.Pos, Global: g,
		Sig: &types.Signature{Result: types.AnyType}}
	g.Init = c.addHidden(init)
	c.globals[g.Name] = g
	c.prog.Globals = append(c.prog.Globals, g)
}

// declareHosts declares the host functions, sorted by name, resolving their
// signatures with the program's types.
func (c *compiler) declareHosts(hosts []*HostSig) {
	sorted := append([]*HostSig(nil), hosts...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].Name < sorted[j-1].Name; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, h := range sorted {
		file := "host function " + h.Name
		if prev, ok := c.declared[h.Name]; ok {
			c.errorf(prev.file, prev.pos, "%s redeclares a host function", h.Name)
			continue
		}
		c.declared[h.Name] = site{file: file}
		fn := &Func{Name: h.Name, Kind: FuncHost, Traced: h.Traced, Sig: &types.Signature{Variadic: h.Variadic && len(h.Params) > 0}}
		for _, p := range h.Params {
			name, typ, typed := strings.Cut(p, ":")
			name = strings.TrimSpace(name)
			t := types.AnyType
			if typed {
				t = c.hostType(file+", parameter "+name, typ)
			}
			fn.Sig.Params = append(fn.Sig.Params, &types.Param{Name: name, Type: t})
		}
		fn.Sig.Result = types.AnyType
		if strings.TrimSpace(h.Result) != "" {
			fn.Sig.Result = c.hostType(file+", result", h.Result)
		}
		c.addFunc(fn)
	}
}

// hostType parses and resolves a type written in a host signature.
func (c *compiler) hostType(file, src string) *types.Type {
	te, err := syntax.ParseType(file, []byte(strings.TrimSpace(src)))
	if err != nil {
		if list, ok := err.(syntax.ErrorList); ok {
			c.diags = append(c.diags, list...)
		} else {
			c.errorf(file, syntax.Pos{}, "%v", err)
		}
		return types.AnyType
	}
	return c.resolveType(file, te)
}
