// program.go holds the compiled program and the declaration-level pass.

package compile

import (
	"fmt"
	"sort"

	"github.com/bexrun/bex/runtime/syntax"
)

// A FuncKind says how a function runs.
type FuncKind uint8

// Function kinds.
const (
	FuncExpr FuncKind = iota + 1 // an expression function: bytecode run by the VM
	FuncLLM                      // an LLM function: the engine runs it
	FuncHost                     // a Go host function registered on the engine
)

// A Param is a function parameter.
type Param struct {
	Name string
	Type *Type
}

// A HostSig declares a host function to the compiler.
type HostSig struct {
	Name     string
	Params   []Param
	Result   *Type // nil: any
	Variadic bool  // the last parameter repeats zero or more times
	Traced   bool
}

// A Func is a compiled function. Code, Positions and the frame layout are set
// for expression functions only.
type Func struct {
	Name     string
	Kind     FuncKind
	Params   []Param
	Result   *Type
	Variadic bool
	Traced   bool
	File     string
	Pos      syntax.Pos
	Decl     *syntax.FuncDecl // nil for host functions

	Code      []Insn
	Positions []syntax.Pos // Positions[pc] is the source position of Code[pc]
	Locals    []string     // the names that use each local slot, "a/b" when reused
	NumLocals int          // local slots, parameters first
	MaxStack  int          // maximum operand stack depth
}

// A Decl is a declaration the VM keeps for the engine (clients, retry policies).
type Decl[T any] struct {
	File string
	Decl T
}

// An EnumConst is an enum value in the constant pool.
type EnumConst struct {
	Enum  *Enum
	Index int
}

// A Program is the result of compiling a set of files.
type Program struct {
	Classes       []*Class
	Enums         []*Enum
	Funcs         []*Func // bex functions in declaration order, then host functions by name
	Clients       []Decl[*syntax.ClientDecl]
	RetryPolicies []Decl[*syntax.RetryPolicyDecl]
	Constants     []any    // int64, float64, string or EnumConst
	Names         []string // field and method names used by ATTR, SETATTR and METHOD
	Types         []*Type  // types used by CHECKTYPE
}

// An Error is a compile error.
type Error struct {
	File string
	Pos  syntax.Pos
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// A compiler holds the state of one Compile call.
type compiler struct {
	prog     *Program
	classes  map[string]*Class
	enums    map[string]*Enum
	funcs    map[string]int // index in prog.Funcs
	declared map[string]site
	errs     []*Error
	consts   map[any]int
	names    map[string]int
}

// Compile compiles files into a program. hosts declares the host functions
// bex code may call. It returns all compile errors, sorted by file order and
// position.
func Compile(files []*syntax.File, hosts []*HostSig) (*Program, []*Error) {
	c := &compiler{
		prog:     new(Program),
		classes:  map[string]*Class{},
		enums:    map[string]*Enum{},
		funcs:    map[string]int{},
		declared: map[string]site{},
		consts:   map[any]int{},
		names:    map[string]int{},
	}
	c.declareTypes(files)
	c.resolveTypes(files)
	c.declareFuncs(files, hosts)
	for _, fn := range c.prog.Funcs {
		if fn.Kind == FuncExpr {
			compileFunc(c, fn)
		}
	}
	if len(c.errs) > 0 {
		sortErrors(c.errs, files)
		return nil, c.errs
	}
	return c.prog, nil
}

func sortErrors(errs []*Error, files []*syntax.File) {
	order := map[string]int{}
	for i, f := range files {
		if _, ok := order[f.Name]; !ok {
			order[f.Name] = i
		}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Col < b.Pos.Col
	})
}

func (c *compiler) errorf(file string, pos syntax.Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// A site is where a top-level name is declared.
type site struct {
	file string
	pos  syntax.Pos
}

// declare records a top-level name, reporting a redeclaration.
func (c *compiler) declare(file string, id *syntax.Ident) bool {
	if prev, ok := c.declared[id.Name]; ok {
		c.errorf(file, id.NamePos, "%s redeclared (previous declaration at %s:%d:%d)",
			id.Name, prev.file, prev.pos.Line, prev.pos.Col)
		return false
	}
	c.declared[id.Name] = site{file, id.NamePos}
	return true
}

// declareTypes registers every class and enum name, so that types may refer
// to declarations in any order and any file.
func (c *compiler) declareTypes(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *syntax.ClassDecl:
				if c.declare(f.Name, d.Name) {
					cl := &Class{Name: d.Name.Name, File: f.Name, Pos: d.Name.NamePos, index: map[string]int{}}
					cl.Description = attrString(d.Attrs, "description")
					c.classes[cl.Name] = cl
					c.prog.Classes = append(c.prog.Classes, cl)
				}
			case *syntax.EnumDecl:
				if c.declare(f.Name, d.Name) {
					c.declareEnum(f.Name, d)
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
	en := &Enum{Name: d.Name.Name, File: file, Pos: d.Name.NamePos}
	en.Description = attrString(d.Attrs, "description")
	for _, v := range d.Values {
		if en.ValueIndex(v.Name.Name) >= 0 {
			c.errorf(file, v.Name.NamePos, "enum %s: value %s redeclared", en.Name, v.Name.Name)
			continue
		}
		en.Values = append(en.Values, &EnumValue{
			Name:        v.Name.Name,
			Alias:       attrString(v.Attrs, "alias"),
			Description: attrString(v.Attrs, "description"),
		})
	}
	c.enums[en.Name] = en
	c.prog.Enums = append(c.prog.Enums, en)
}

// resolveTypes resolves the field types of every class.
func (c *compiler) resolveTypes(files []*syntax.File) {
	for _, f := range files {
		for _, d := range f.Decls {
			d, ok := d.(*syntax.ClassDecl)
			if !ok || c.classes[d.Name.Name] == nil || c.classes[d.Name.Name].Pos != d.Name.NamePos {
				continue
			}
			cl := c.classes[d.Name.Name]
			for _, fd := range d.Fields {
				if _, dup := cl.index[fd.Name.Name]; dup {
					c.errorf(f.Name, fd.Name.NamePos, "class %s: field %s redeclared", cl.Name, fd.Name.Name)
					continue
				}
				cl.index[fd.Name.Name] = len(cl.Fields)
				cl.Fields = append(cl.Fields, &Field{
					Name:        fd.Name.Name,
					Alias:       attrString(fd.Attrs, "alias"),
					Description: attrString(fd.Attrs, "description"),
					Type:        c.resolveType(f.Name, fd.Type),
				})
			}
		}
	}
}

// declareFuncs creates a Func for every function declaration and host function.
func (c *compiler) declareFuncs(files []*syntax.File, hosts []*HostSig) {
	for _, f := range files {
		for _, d := range f.Decls {
			if d, ok := d.(*syntax.FuncDecl); ok && c.declare(f.Name, d.Name) {
				c.addFunc(c.funcDecl(f.Name, d))
			}
		}
	}
	sorted := append([]*HostSig(nil), hosts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, h := range sorted {
		if prev, ok := c.declared[h.Name]; ok {
			c.errorf(prev.file, prev.pos, "%s redeclares a host function", h.Name)
			continue
		}
		c.declared[h.Name] = site{file: "host"}
		fn := &Func{Name: h.Name, Kind: FuncHost, Result: c.hostType(h.Name, h.Result),
			Variadic: h.Variadic && len(h.Params) > 0, Traced: h.Traced}
		for _, p := range h.Params {
			fn.Params = append(fn.Params, Param{p.Name, c.hostType(h.Name, p.Type)})
		}
		c.addFunc(fn)
	}
}

// hostType resolves the class and enum names in a host function's type.
// Host signatures are built before the program, so they name classes and
// enums by placeholder declarations that carry only a name.
func (c *compiler) hostType(host string, t *Type) *Type {
	if t == nil {
		return AnyType
	}
	out := *t
	out.Elem, out.Key, out.Variants = nil, nil, nil
	if t.Elem != nil {
		out.Elem = c.hostType(host, t.Elem)
	}
	if t.Key != nil {
		out.Key = c.hostType(host, t.Key)
	}
	for _, v := range t.Variants {
		out.Variants = append(out.Variants, c.hostType(host, v))
	}
	if t.Class != nil {
		if out.Class = c.classes[t.Class.Name]; out.Class == nil {
			c.errorf("host", syntax.Pos{}, "host function %s: unknown class %s", host, t.Class.Name)
			return AnyType
		}
	}
	if t.Enum != nil {
		if out.Enum = c.enums[t.Enum.Name]; out.Enum == nil {
			c.errorf("host", syntax.Pos{}, "host function %s: unknown enum %s", host, t.Enum.Name)
			return AnyType
		}
	}
	return &out
}

func orAny(t *Type) *Type {
	if t == nil {
		return AnyType
	}
	return t
}

func (c *compiler) addFunc(fn *Func) {
	c.funcs[fn.Name] = len(c.prog.Funcs)
	c.prog.Funcs = append(c.prog.Funcs, fn)
}

func (c *compiler) funcDecl(file string, d *syntax.FuncDecl) *Func {
	fn := &Func{Name: d.Name.Name, File: file, Pos: d.Name.NamePos, Decl: d, Kind: FuncExpr}
	seen := map[string]bool{}
	for _, p := range d.Params {
		if seen[p.Name.Name] {
			c.errorf(file, p.Name.NamePos, "parameter %s redeclared", p.Name.Name)
		}
		seen[p.Name.Name] = true
		fn.Params = append(fn.Params, Param{Name: p.Name.Name, Type: c.resolveType(file, p.Type)})
	}
	fn.Result = c.resolveType(file, d.Result)
	if d.Body == nil && d.LLM == nil {
		c.errorf(file, d.Name.NamePos, "function %s has no body", d.Name.Name)
		fn.Kind = FuncLLM // never compiled
	}
	if d.LLM != nil {
		fn.Kind = FuncLLM
		fn.Traced = true
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

// attrString returns the string argument of the first attribute with the
// given name, or "".
func attrString(attrs []*syntax.Attr, name string) string {
	for _, a := range attrs {
		if a.Name == name && len(a.Args) > 0 {
			if lit, ok := a.Args[0].(*syntax.Literal); ok {
				if s, ok := lit.Value.(string); ok {
					return s
				}
			}
		}
	}
	return ""
}

// constant interns a constant and returns its index.
func (c *compiler) constant(v any) int32 {
	if i, ok := c.consts[v]; ok {
		return int32(i)
	}
	i := len(c.prog.Constants)
	c.consts[v] = i
	c.prog.Constants = append(c.prog.Constants, v)
	return int32(i)
}

// name interns a field or method name and returns its index.
func (c *compiler) name(s string) int32 {
	if i, ok := c.names[s]; ok {
		return int32(i)
	}
	i := len(c.prog.Names)
	c.names[s] = i
	c.prog.Names = append(c.prog.Names, s)
	return int32(i)
}

// typeIndex adds t to the type table and returns its index.
func (c *compiler) typeIndex(t *Type) int32 {
	c.prog.Types = append(c.prog.Types, t)
	return int32(len(c.prog.Types) - 1)
}

// classIndex returns the index of cl in prog.Classes.
func (c *compiler) classIndex(cl *Class) int32 {
	for i, x := range c.prog.Classes {
		if x == cl {
			return int32(i)
		}
	}
	panic("unknown class " + cl.Name)
}
