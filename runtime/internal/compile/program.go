// program.go holds the compiled program and the order of the compiler's passes.

package compile

import (
	"fmt"
	"sort"

	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
)

// A FuncKind says how a function runs.
type FuncKind uint8

// Function kinds.
const (
	FuncExpr FuncKind = iota + 1 // an expression function: bytecode run by the VM
	FuncLLM                      // an LLM function: the engine runs it
	FuncHost                     // a Go host function registered on the engine
)

// A HostSig declares a host function to the compiler, in bex syntax: each
// parameter is "name: type" or a bare "name" (any value), and the result
// is a type ("" for any). The compiler resolves the types with the same
// resolver as the program's own declarations, so that a host parameter of
// type image, Ticket or map<string, int> means what it means in bex code.
type HostSig struct {
	Name     string
	Params   []string
	Result   string
	Variadic bool // the last parameter repeats zero or more times
	Traced   bool
}

// A Func is a compiled function. Code, Positions and the frame layout are
// set for expression functions only.
type Func struct {
	Name   string
	Kind   FuncKind
	Sig    *types.Signature
	Traced bool
	File   string
	Pos    syntax.Pos
	Decl   *syntax.FuncDecl // nil for host functions, lambdas and global initializers

	// Captures lists, for a lambda, the local slots that receive the values
	// it captured when it was created (in the order MAKEFUNC takes them).
	Captures []int32
	// Global is set for the initializer of a top-level let.
	Global *Global
	// Hidden marks the functions bex code and the engine cannot call by
	// name: methods, lambdas and global initializers.
	Hidden bool

	Code      []Insn
	Positions []syntax.Pos // Positions[pc] is the source position of Code[pc]
	Locals    []string     // the names that use each local slot, "a/b" when reused
	NumLocals int          // local slots, parameters first
	MaxStack  int          // maximum operand stack depth

	lambda *syntax.LambdaExpr // the lambda this function compiles, if any
	outer  *fcomp             // the function that encloses a lambda
}

// Params returns the function's parameters.
func (f *Func) Params() []*types.Param { return f.Sig.Params }

// Result returns the function's result type.
func (f *Func) Result() *types.Type { return f.Sig.Result }

// A Global is a top-level let: a value computed by its initializer function
// the first time a call reads it, once per call.
type Global struct {
	Name  string
	Type  *types.Type
	Init  int // the index of the initializer in Program.Funcs
	Index int // the global's index, the operand of GLOBAL
	File  string
	Pos   syntax.Pos
	decl  *syntax.GlobalDecl
	state uint8 // 0 not compiled, 1 compiling, 2 compiled
}

// A Decl is a declaration the VM keeps for the engine (clients, retry policies).
type Decl[T any] struct {
	File string
	Decl T
}

// An EnumConst is an enum value in the constant pool.
type EnumConst struct {
	Enum  *types.EnumDecl
	Index int
}

// A Program is the result of compiling a set of files.
type Program struct {
	Classes       []*types.ClassDecl
	Enums         []*types.EnumDecl
	Aliases       []*types.AliasDecl
	Funcs         []*Func // bex functions in declaration order, then host functions by name, then lambdas and global initializers
	Globals       []*Global
	Clients       []Decl[*syntax.ClientDecl]
	RetryPolicies []Decl[*syntax.RetryPolicyDecl]
	Constants     []any         // int64, float64, string or EnumConst
	Names         []string      // field and method names used by ATTR, SETATTR and METHOD
	Types         []*types.Type // types used by CHECKTYPE
	Tests         []*Test       // the test blocks, in declaration order
	Warnings      syntax.ErrorList
}

// A compiler holds the state of one Compile call.
type compiler struct {
	prog     *Program
	files    []*syntax.File
	classes  map[string]*types.ClassDecl
	enums    map[string]*types.EnumDecl
	aliases  map[string]*types.AliasDecl
	funcs    map[string]int // index in prog.Funcs
	globals  map[string]*Global
	declared map[string]site
	diags    syntax.ErrorList
	consts   map[any]int
	names    map[string]int
	weak     map[*types.Type]bool // types inferred rather than declared (see weakOf)
}

// Compile compiles files into a program. hosts declares the host functions
// bex code may call. It returns the program, or nil and the diagnostics:
// every error, and the warnings, sorted by file and position. The warnings
// of a program that compiles are in Program.Warnings.
func Compile(files []*syntax.File, hosts []*HostSig) (*Program, syntax.ErrorList) {
	c := &compiler{
		prog:     new(Program),
		files:    files,
		classes:  map[string]*types.ClassDecl{},
		enums:    map[string]*types.EnumDecl{},
		aliases:  map[string]*types.AliasDecl{},
		funcs:    map[string]int{},
		globals:  map[string]*Global{},
		declared: map[string]site{},
		consts:   map[any]int{},
		names:    map[string]int{},
		weak:     map[*types.Type]bool{},
	}
	c.declareTypes(files)
	c.resolveAliases(files)
	c.resolveClasses(files)
	c.checkClassCycles()
	c.declareFuncs(files, hosts)
	c.checkConfigs()
	c.compileBodies()
	c.compileTests(files)
	c.sortDiags()
	if c.errorCount() > 0 {
		return nil, c.diags
	}
	c.prog.Warnings = c.diags
	return c.prog, nil
}

// compileBodies compiles the global initializers, then the expression
// functions and methods (and the lambdas they contain, as they meet them).
func (c *compiler) compileBodies() {
	for _, g := range c.prog.Globals {
		c.compileGlobal(g)
	}
	for _, fn := range c.prog.Funcs {
		if fn.Kind == FuncExpr && fn.Decl != nil {
			compileFunc(c, fn)
		}
	}
}

// sortDiags orders the diagnostics by file (in the order given) and position.
func (c *compiler) sortDiags() {
	order := map[string]int{}
	for i, f := range c.files {
		if _, ok := order[f.Name]; !ok {
			order[f.Name] = i
		}
	}
	sort.SliceStable(c.diags, func(i, j int) bool {
		a, b := c.diags[i], c.diags[j]
		if a.File != b.File {
			oa, ka := order[a.File]
			ob, kb := order[b.File]
			if ka != kb {
				return kb // files given first, host signatures last
			}
			if oa != ob {
				return oa < ob
			}
			return a.File < b.File
		}
		return a.Pos.Before(b.Pos)
	})
}

func (c *compiler) errorCount() int {
	n := 0
	for _, d := range c.diags {
		if !d.Warning {
			n++
		}
	}
	return n
}

func (c *compiler) errorf(file string, pos syntax.Pos, format string, args ...any) {
	c.diags = append(c.diags, &syntax.Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) warnf(file string, pos syntax.Pos, format string, args ...any) {
	c.diags = append(c.diags, &syntax.Error{File: file, Pos: pos, Msg: fmt.Sprintf(format, args...), Warning: true})
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

func (c *compiler) addFunc(fn *Func) int {
	c.funcs[fn.Name] = len(c.prog.Funcs)
	c.prog.Funcs = append(c.prog.Funcs, fn)
	return len(c.prog.Funcs) - 1
}

// addHidden appends a function that bex code cannot name (a lambda, a
// global initializer, a method).
func (c *compiler) addHidden(fn *Func) int {
	fn.Hidden = true
	c.prog.Funcs = append(c.prog.Funcs, fn)
	return len(c.prog.Funcs) - 1
}

// funcIndex returns the index of fn in prog.Funcs.
func (c *compiler) funcIndex(fn *Func) int32 {
	for i, f := range c.prog.Funcs {
		if f == fn {
			return int32(i)
		}
	}
	panic("compile: unknown function " + fn.Name)
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
func (c *compiler) typeIndex(t *types.Type) int32 {
	for i, u := range c.prog.Types {
		if u == t {
			return int32(i)
		}
	}
	c.prog.Types = append(c.prog.Types, t)
	return int32(len(c.prog.Types) - 1)
}

// classIndex returns the index of cl in prog.Classes.
func (c *compiler) classIndex(cl *types.ClassDecl) int32 {
	for i, x := range c.prog.Classes {
		if x == cl {
			return int32(i)
		}
	}
	panic("compile: unknown class " + cl.Name)
}

// weakOf returns a copy of t marked weak: a type the compiler inferred
// rather than one a declaration guarantees (a container's element, a
// narrowed variable, a reassigned variable without a declared type). A weak
// type guides errors and the resolution of fields and methods, but never
// lets the compiler drop a run-time check, since containers and variables
// do not enforce inferred types.
func (c *compiler) weakOf(t *types.Type) *types.Type {
	if t == nil || t.Kind == types.Any || c.weak[t] || t == never {
		return t
	}
	w := *t
	c.weak[&w] = true
	return &w
}

// isWeak reports whether t is weak (see weakOf).
func (c *compiler) isWeak(t *types.Type) bool { return c.weak[t] }
