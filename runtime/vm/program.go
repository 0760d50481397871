// program.go holds Program, Function and Compile.

package vm

import (
	"fmt"
	"strings"

	"github.com/bexrun/bex/runtime/internal/compile"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/vmspan"
)

// CompileOptions configures Compile.
type CompileOptions struct {
	// HostFuncs declares the Go host functions bex code may call, by name.
	HostFuncs map[string]HostSig
}

// A HostSig is the signature of a host function.
type HostSig struct {
	Params   []Param
	Result   *Type // nil: any; the VM checks the host's result against it
	Variadic bool  // the last parameter repeats zero or more times
	Traced   bool  // calls to the function are traced frames
}

// A Param is a function parameter.
type Param struct {
	Name string
	Type *Type
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
// function or a host function.
type Function struct {
	Name   string
	Kind   FuncKind
	Params []Param
	Result *Type // never nil (AnyType when not declared)
	File   string
	Pos    syntax.Pos
	Decl   *syntax.FuncDecl // nil for host functions

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
	secretArgs bool // some parameter name looks secret (vmspan.IsSecretKey)
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
	code    *compile.Program
	funcs   []*Function
	byName  map[string]*Function
	classes []*Class
	enums   []*Enum
	consts  []Value
	types   []*Type
	methods []compile.MethodID // by name index
	clients []*ClientDecl
	retries []*RetryPolicyDecl
}

// A CompileError is one compile error.
type CompileError struct {
	File string
	Pos  syntax.Pos
	Msg  string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// An ErrorList is the list of errors Compile found, in file and position order.
type ErrorList struct {
	Errors []*CompileError
}

// Error returns the errors, one per line.
func (l *ErrorList) Error() string {
	lines := make([]string, len(l.Errors))
	for i, e := range l.Errors {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors.
func (l *ErrorList) Unwrap() []error {
	errs := make([]error, len(l.Errors))
	for i, e := range l.Errors {
		errs[i] = e
	}
	return errs
}

// Compile compiles parsed files into a Program. The error, if any, is an
// *ErrorList holding every compile error found.
func Compile(files []*syntax.File, opts CompileOptions) (*Program, error) {
	var hosts []*compile.HostSig
	for name, sig := range opts.HostFuncs {
		h := &compile.HostSig{Name: name, Result: compileType(sig.Result), Variadic: sig.Variadic, Traced: sig.Traced}
		for _, p := range sig.Params {
			h.Params = append(h.Params, compile.Param{Name: p.Name, Type: compileType(p.Type)})
		}
		hosts = append(hosts, h)
	}
	code, errs := compile.Compile(files, hosts)
	if len(errs) > 0 {
		list := &ErrorList{}
		for _, e := range errs {
			list.Errors = append(list.Errors, &CompileError{File: e.File, Pos: e.Pos, Msg: e.Msg})
		}
		return nil, list
	}
	return link(code), nil
}

// link builds the VM's program from the compiler's.
func link(code *compile.Program) *Program {
	p := &Program{code: code, byName: map[string]*Function{}}
	m := &typeMaker{classes: map[*compile.Class]*Class{}, enums: map[*compile.Enum]*Enum{}}
	for _, e := range code.Enums {
		en := &Enum{Name: e.Name, Description: e.Description}
		for _, v := range e.Values {
			en.Values = append(en.Values, EnumVariant{v.Name, v.Alias, v.Description})
		}
		m.enums[e] = en
		p.enums = append(p.enums, en)
	}
	for _, c := range code.Classes {
		cl := &Class{Name: c.Name, Description: c.Description, index: map[string]int{}}
		m.classes[c] = cl
		p.classes = append(p.classes, cl)
	}
	for i, c := range code.Classes { // field types may refer to any class
		cl := p.classes[i]
		for j, f := range c.Fields {
			cl.index[f.Name] = j
			cl.Fields = append(cl.Fields, ClassField{f.Name, f.Alias, f.Description, m.typ(f.Type)})
		}
	}
	for _, c := range code.Constants {
		p.consts = append(p.consts, constValue(c, m))
	}
	for _, t := range code.Types {
		p.types = append(p.types, m.typ(t))
	}
	for _, n := range code.Names {
		p.methods = append(p.methods, compile.LookupMethod(n))
	}
	for _, fn := range code.Funcs {
		f := p.function(fn, m)
		p.funcs = append(p.funcs, f)
		p.byName[f.Name] = f
	}
	for _, c := range code.Clients {
		p.clients = append(p.clients, &ClientDecl{c.File, c.Decl})
	}
	for _, r := range code.RetryPolicies {
		p.retries = append(p.retries, &RetryPolicyDecl{r.File, r.Decl})
	}
	return p
}

func (p *Program) function(fn *compile.Func, m *typeMaker) *Function {
	f := &Function{
		Name: fn.Name, Kind: FuncKind(fn.Kind), Result: m.typ(fn.Result), File: fn.File, Pos: fn.Pos,
		Decl: fn.Decl, prog: p, code: fn, insns: fn.Code, traced: fn.Traced, variadic: fn.Variadic,
		nlocals: fn.NumLocals, frameSize: fn.NumLocals + fn.MaxStack + 1,
	}
	for _, prm := range fn.Params {
		t := m.typ(prm.Type)
		f.Params = append(f.Params, Param{prm.Name, t})
		f.paramNames = append(f.paramNames, prm.Name)
		f.secretArgs = f.secretArgs || vmspan.IsSecretKey(prm.Name)
		if t.Kind != TAny {
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
// order, then host functions by name.
func (p *Program) Functions() []*Function { return append([]*Function(nil), p.funcs...) }

// Class returns the named class, or nil.
func (p *Program) Class(name string) *Class {
	for _, c := range p.classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Classes returns the classes in declaration order.
func (p *Program) Classes() []*Class { return append([]*Class(nil), p.classes...) }

// Enum returns the named enum, or nil.
func (p *Program) Enum(name string) *Enum {
	for _, e := range p.enums {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Enums returns the enums in declaration order.
func (p *Program) Enums() []*Enum { return append([]*Enum(nil), p.enums...) }

// Clients returns the client<llm> declarations in declaration order.
func (p *Program) Clients() []*ClientDecl { return append([]*ClientDecl(nil), p.clients...) }

// RetryPolicies returns the retry_policy declarations in declaration order.
func (p *Program) RetryPolicies() []*RetryPolicyDecl {
	return append([]*RetryPolicyDecl(nil), p.retries...)
}

// Disassemble returns a text listing of fn's bytecode (for tests and
// debugging; the format is stable but the instruction set is not).
func (p *Program) Disassemble(fn *Function) string { return p.code.Disassemble(fn.code) }
