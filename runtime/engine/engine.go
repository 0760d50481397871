// engine.go holds the Engine: compilation, options and host functions.

package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/syntax"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// An LLM performs the provider calls of LLM functions. *llm.Runtime, built
// by New from the program's client<llm> and retry_policy declarations, is
// the default; tests may substitute a double with WithLLM.
type LLM interface {
	Call(ctx context.Context, req llm.Request) (llm.Result, error)
}

// A HostFunc is a Go function callable from bex code by Name.
type HostFunc struct {
	Name string
	// Params declares the parameters in bex syntax, one "name: type" each
	// (for example "url: string", "ids: int[]"); a bare "name" accepts any
	// value. Arguments are checked against the types before Fn runs.
	Params []string
	// Result is the bex type of the result ("" accepts any value). The
	// result is converted to it (see Call for the conversions) and checked.
	Result string
	// Traced makes every call of the function a span (kind host-function).
	Traced bool
	// Fn receives the call's ctx, which carries the current bex span (and,
	// through the OpenTelemetry bridge, its OTel span), and the arguments
	// as Go values: nil, bool, int64, float64, string, []any and
	// map[string]any (class instances as maps of their fields, enum values
	// as strings).
	Fn func(ctx context.Context, args []any) (any, error)
}

type hostFunc struct {
	HostFunc
}

// An Option configures an Engine.
type Option func(*Engine) error

// WithTracer sets the tracer whose sink receives the engine's span events
// and whose id source and clock it uses. By default the engine uses
// vmspan.Default() as it is at each call.
func WithTracer(t *vmspan.Tracer) Option {
	return func(e *Engine) error { e.tracer = t; return nil }
}

// WithSink adds sinks that receive the events of every call of this engine,
// in addition to the tracer's sink, including the spans of engine calls
// nested in it through host functions.
func WithSink(sinks ...vmspan.Sink) Option {
	return func(e *Engine) error { e.sinks = append(e.sinks, sinks...); return nil }
}

// WithHost registers Go host functions.
func WithHost(fns ...HostFunc) Option {
	return func(e *Engine) error {
		for _, f := range fns {
			if f.Name == "" || f.Fn == nil {
				return fmt.Errorf("host function %q: Name and Fn are required", f.Name)
			}
			if _, dup := e.hosts[f.Name]; dup {
				return fmt.Errorf("host function %q registered twice", f.Name)
			}
			e.hosts[f.Name] = &hostFunc{HostFunc: f}
		}
		return nil
	}
}

// WithLLM replaces the LLM runtime built from the program's clients.
func WithLLM(l LLM) Option {
	return func(e *Engine) error { e.llm = l; return nil }
}

// WithLLMOptions passes options to the default LLM runtime (an HTTP
// client, an environment lookup, a clock).
func WithLLMOptions(opts ...llm.Option) Option {
	return func(e *Engine) error { e.llmOpts = append(e.llmOpts, opts...); return nil }
}

// WithMaxSteps sets the default step budget of a call; 0 means unlimited.
// The VM charges each loop iteration the length of its body and each call
// the length of the called function, in instructions, so a step is roughly
// one VM instruction. The default is DefaultMaxSteps.
func WithMaxSteps(n int64) Option {
	return func(e *Engine) error { e.maxSteps = n; return nil }
}

// WithMaxDepth sets the maximum bex call depth; exceeding it is an error
// wrapping vm.ErrStackOverflow. The default is DefaultMaxDepth.
func WithMaxDepth(n int) Option {
	return func(e *Engine) error { e.maxDepth = n; return nil }
}

// Defaults for the limits of a call.
const (
	DefaultMaxSteps = 200_000_000 // seconds of a tight loop: ends runaway programs, not real ones
	DefaultMaxDepth = 10_000
)

// An Engine runs the functions of a compiled program. It is safe for
// concurrent use: each Call runs on its own VM thread, and the spans of
// concurrent calls never mix.
type Engine struct {
	prog     *vm.Program
	tracer   *vmspan.Tracer
	sinks    []vmspan.Sink
	hosts    map[string]*hostFunc
	llm      LLM
	llmOpts  []llm.Option
	maxSteps int64
	maxDepth int
	// asserts holds the parameter lists, in llm.CheckArgs's form, of the
	// functions whose parameters have @assert constraints, which every
	// call's arguments are tested against.
	asserts map[*vm.Function][]*types.Param
}

// New compiles p, with the host functions given by options, into an Engine.
// Compile errors (unknown types or functions, type errors, wrong argument
// counts, ...) are reported together as a syntax.ErrorList, each with its
// file:line:col; the warnings of a program that compiles are in
// Engine.Warnings.
func New(p *Sources, opts ...Option) (*Engine, error) {
	e := &Engine{hosts: map[string]*hostFunc{}, maxSteps: DefaultMaxSteps, maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	if p == nil {
		return nil, errors.New("engine.New: nil program")
	}
	var err error
	e.prog, err = vm.Compile(p.files, vm.CompileOptions{HostFuncs: e.hostSigs()})
	if err != nil {
		return nil, err
	}
	if errs := checkConstraints(e.prog); len(errs) > 0 {
		return nil, errs
	}
	e.asserts = map[*vm.Function][]*types.Param{}
	for _, fn := range e.prog.Functions() {
		if hasAsserts(fn) {
			e.asserts[fn] = assertParams(fn)
		}
	}
	if e.llm == nil {
		rt, err := llm.NewRuntime(clientDecls(e.prog), policyDecls(e.prog), e.llmOpts...)
		if err != nil {
			return nil, err
		}
		e.llm = rt
	}
	return e, nil
}

// Program returns the compiled program (for disassembly and inspection).
func (e *Engine) Program() *vm.Program { return e.prog }

// Warnings returns the compiler's warnings about the program: constructs
// BAML accepts with a warning, or that bex ignores.
func (e *Engine) Warnings() syntax.ErrorList { return e.prog.Warnings() }

// hostSigs declares the host functions to the compiler, which resolves
// their types with the program's own declarations.
func (e *Engine) hostSigs() map[string]vm.HostSig {
	sigs := make(map[string]vm.HostSig, len(e.hosts))
	for name, h := range e.hosts {
		sigs[name] = vm.HostSig{Params: h.Params, Result: h.Result, Traced: h.Traced}
	}
	return sigs
}
