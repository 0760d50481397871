// program.go holds Program, Function and Compile.

package vm

import (
	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/vmspan"
)

// CompileOptions configures Compile.
type CompileOptions struct {
	// HostFuncs declares the Go host functions bex code may call, by name.
	HostFuncs map[string]HostSig
}

// A HostSig is the signature of a host function, in bex syntax. Its types
// are resolved by the compiler with the program's own declarations, so a
// host parameter of type image, Ticket or map<string, int> means what it
// means in bex code.
type HostSig struct {
	Params   []string // "name: type", or a bare "name" that takes any value
	Result   string   // the result type; "" takes any value. The VM checks the host's result against it.
	Variadic bool     // the last parameter repeats zero or more times
	Traced   bool     // calls to the function are traced frames
}

// A Param is a function parameter.
type Param struct {
	Name string
	Type *types.Type
}

// A FuncKind says how a function runs.
type FuncKind uint8

// Function kinds.
const (
	FuncExpr FuncKind = iota + 1 // an expression function, run by the VM
	FuncLLM                      // an LLM function: calls go to Externals.CallLLM
	FuncHost                     // a Go host function: calls go to Externals.CallHost
)

func (k FuncKind) String() string {
	switch k {
	case FuncExpr:
		return "expr"
	case FuncLLM:
		return "llm"
	case FuncHost:
		return "host"
	}
	return "invalid"
}

// A Function is a function of a Program: a bex expression function, an LLM
// function or a host function (or, hidden from Function and Functions, a
// method, a lambda or the initializer of a top-level let).
type Function struct {
	Name   string
	Kind   FuncKind
	Params []Param
	Result *types.Type // never nil (types.AnyType when it takes any value)
	File   string
	Pos    syntax.Pos
	Decl   *syntax.FuncDecl // nil for host functions, lambdas and global initializers

	prog       *Program
	code       *compile.Func
	insns      []compile.Insn
	traced     bool
	variadic   bool
	checkArgs  bool // some parameter's type needs a run-time check
	nlocals    int
	frameSize  int   // locals plus the maximum operand stack
	cost       int64 // the steps a call costs: the length of the function's code
	paramNames []string
	secretArgs bool    // some parameter name looks secret (vmspan.IsSecretKey)
	params     []*plan // the check plans of the parameters
	result     *plan
	captures   []int32 // a lambda's slots for the values it captured
}

// Traced reports whether calls to f are traced frames. This is the single
// place that decides it: LLM functions always are, host functions when their
// HostSig says so, expression functions when they carry @@trace.
func (f *Function) Traced() bool { return f.traced }

// Variadic reports whether the last parameter repeats (host functions only).
func (f *Function) Variadic() bool { return f.variadic }

// SpanKind returns the span kind of f's traced frames.
func (f *Function) SpanKind() vmspan.Kind {
	switch f.Kind {
	case FuncLLM:
		return vmspan.KindLLM
	case FuncHost:
		return vmspan.KindHostFunc
	}
	return vmspan.KindExpr
}

// ParamNames returns the parameter names (a shared slice: do not modify).
func (f *Function) ParamNames() []string { return f.paramNames }

// pos returns the source position of the instruction at pc.
func (f *Function) pos(pc int) syntax.Pos {
	if f.code == nil || pc < 0 || pc >= len(f.code.Positions) {
		return f.Pos
	}
	return f.code.Positions[pc]
}

// A ClientDecl is a client<llm> declaration, kept for the engine.
type ClientDecl struct {
	File string
	Decl *syntax.ClientDecl
}

// A RetryPolicyDecl is a retry_policy declaration, kept for the engine.
type RetryPolicyDecl struct {
	File string
	Decl *syntax.RetryPolicyDecl
}

// A Program is a compiled set of bex files. It is immutable after Compile and
// safe for concurrent use by any number of Threads.
type Program struct {
	code       *compile.Program
	funcs      []*Function
	byName     map[string]*Function
	classes    []*types.ClassDecl
	classIndex map[*types.ClassDecl]int
	fieldPlans [][]*plan // by class index, the plans of the fields
	consts     []Value
	types      []*plan
	methods    []compile.MethodID // by name index
	clients    []*ClientDecl
	retries    []*RetryPolicyDecl
}

// Compile compiles parsed files into a Program. The error, if any, is a
// syntax.ErrorList holding every compile error found (and the warnings);
// the warnings of a program that compiles are in Program.Warnings.
func Compile(files []*syntax.File, opts CompileOptions) (*Program, error) {
	var hosts []*compile.HostSig
	for name, sig := range opts.HostFuncs {
		hosts = append(hosts, &compile.HostSig{Name: name, Params: sig.Params, Result: sig.Result,
			Variadic: sig.Variadic, Traced: sig.Traced})
	}
	code, diags := compile.Compile(files, hosts)
	if code == nil {
		return nil, diags
	}
	return link(code), nil
}

// link builds the VM's program from the compiler's.
func link(code *compile.Program) *Program {
	p := &Program{code: code, byName: map[string]*Function{}, classes: code.Classes, classIndex: map[*types.ClassDecl]int{}}
	pl := newPlanner()
	for i, cl := range code.Classes {
		p.classIndex[cl] = i
		plans := make([]*plan, len(cl.Fields))
		for j, f := range cl.Fields {
			plans[j] = pl.planFor(f.Type)
		}
		p.fieldPlans = append(p.fieldPlans, plans)
	}
	for _, c := range code.Constants {
		p.consts = append(p.consts, constValue(c))
	}
	for _, t := range code.Types {
		p.types = append(p.types, pl.planFor(t))
	}
	for _, n := range code.Names {
		p.methods = append(p.methods, compile.LookupMethod(n))
	}
	for _, fn := range code.Funcs {
		f := p.function(fn, pl)
		p.funcs = append(p.funcs, f)
		if !fn.Hidden {
			p.byName[f.Name] = f
		}
	}
	for _, c := range code.Clients {
		p.clients = append(p.clients, &ClientDecl{c.File, c.Decl})
	}
	for _, r := range code.RetryPolicies {
		p.retries = append(p.retries, &RetryPolicyDecl{r.File, r.Decl})
	}
	return p
}

// constValue converts a compiler constant to a Value.
func constValue(c any) Value {
	if e, ok := c.(compile.EnumConst); ok {
		return enumAt(e.Enum, e.Index)
	}
	return literalValue(c)
}

func (p *Program) function(fn *compile.Func, pl *planner) *Function {
	f := &Function{
		Name: fn.Name, Kind: FuncKind(fn.Kind), Result: fn.Sig.Result, File: fn.File, Pos: fn.Pos,
		Decl: fn.Decl, prog: p, code: fn, insns: fn.Code, traced: fn.Traced, variadic: fn.Sig.Variadic,
		nlocals: fn.NumLocals, frameSize: fn.NumLocals + fn.MaxStack + 1, result: pl.planFor(fn.Sig.Result),
		captures: fn.Captures,
	}
	for _, prm := range fn.Sig.Params {
		f.Params = append(f.Params, Param{prm.Name, prm.Type})
		f.paramNames = append(f.paramNames, prm.Name)
		f.secretArgs = f.secretArgs || vmspan.IsSecretKey(prm.Name)
		pp := pl.planFor(prm.Type)
		f.params = append(f.params, pp)
		if pp != anyPlan {
			f.checkArgs = true
		}
	}
	f.cost = max(int64(len(f.insns)), 1)
	if f.Kind != FuncExpr {
		f.frameSize = len(f.Params)
	}
	return f
}

// Function returns the named function, or nil.
func (p *Program) Function(name string) *Function { return p.byName[name] }

// Functions returns the program's functions: bex functions in declaration
// order, then host functions by name (not methods, lambdas or the
// initializers of top-level lets).
func (p *Program) Functions() []*Function {
	var out []*Function
	for _, f := range p.funcs {
		if !f.code.Hidden {
			out = append(out, f)
		}
	}
	return out
}

// AllFunctions returns every compiled function: those of Functions, then
// the methods, lambdas and initializers of top-level lets, which calls
// cannot name (for disassembly and tools).
func (p *Program) AllFunctions() []*Function {
	all := p.Functions()
	for _, f := range p.funcs {
		if f.code.Hidden {
			all = append(all, f)
		}
	}
	return all
}

// Class returns the named class, or nil.
func (p *Program) Class(name string) *types.ClassDecl {
	for _, c := range p.classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Classes returns the classes in declaration order.
func (p *Program) Classes() []*types.ClassDecl { return append([]*types.ClassDecl(nil), p.classes...) }

// Enum returns the named enum, or nil.
func (p *Program) Enum(name string) *types.EnumDecl {
	for _, e := range p.code.Enums {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Enums returns the enums in declaration order.
func (p *Program) Enums() []*types.EnumDecl { return append([]*types.EnumDecl(nil), p.code.Enums...) }

// Aliases returns the type aliases in declaration order.
func (p *Program) Aliases() []*types.AliasDecl {
	return append([]*types.AliasDecl(nil), p.code.Aliases...)
}

// Warnings returns what the compiler warned about: constructs BAML accepts
// with a warning, or that bex ignores.
func (p *Program) Warnings() syntax.ErrorList { return p.code.Warnings }

// Clients returns the client<llm> declarations in declaration order.
func (p *Program) Clients() []*ClientDecl { return append([]*ClientDecl(nil), p.clients...) }

// RetryPolicies returns the retry_policy declarations in declaration order.
func (p *Program) RetryPolicies() []*RetryPolicyDecl {
	return append([]*RetryPolicyDecl(nil), p.retries...)
}

// Disassemble returns a text listing of fn's bytecode (for tests and
// debugging; the format is stable but the instruction set is not).
func (p *Program) Disassemble(fn *Function) string { return p.code.Disassemble(fn.code) }
