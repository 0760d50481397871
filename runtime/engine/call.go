// call.go runs calls: argument conversion, the root span and its frame
// tracker, and the host and LLM calls the VM makes.

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/bexrun/bex/internal/fastjson"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/types"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// A CallOption configures one call.
type CallOption func(*callConfig)

type callConfig struct {
	scoped   []vmspan.Sink
	maxSteps *int64
	registry *llm.ClientRegistry
	strict   bool
	retry    bool // WithRetryInvalidReplies
	notes    func(function string, notes []vmspan.ParseNote)
	checks   func(function string, checks []vmspan.CheckResult)
	types    *TypeBuilder
	built    *types.Overlay // a test's type_builder
	timeouts llm.Timeouts
	events   bool
	partials int
}

// WithPartialEvents records the first max partial values of each LLM call
// of a streamed call (see Stream) as events of its span
// (vmspan.EventPartial): a trace file writes them as intermediate lines
// {"Partial": value}; the Collector and the OpenTelemetry bridge ignore
// them (no span event per chunk). By default none is recorded: the span's
// end has the result.
func WithPartialEvents(max int) CallOption {
	return func(c *callConfig) { c.partials = max }
}

// WithStreamEvents records the events of the call's streamed LLM replies
// (see Stream) as received, redacted, in each attempt's Stream.Events (at
// most 1 MiB per attempt), for the Collector and the trace file. By
// default only the time to first chunk and the chunk count are recorded.
func WithStreamEvents() CallOption {
	return func(c *callConfig) { c.events = true }
}

// WithTimeouts bounds the provider requests of the call's LLM functions
// further: each set field applies where it is stricter than the client's
// own timeouts (its http options, else the defaults), and t.Total bounds
// each LLM function call as a whole, all its attempts included. See
// llm.Timeouts.
func WithTimeouts(t llm.Timeouts) CallOption {
	return func(c *callConfig) { c.timeouts = t }
}

// WithClientRegistry makes the call use a client registry (BAML's
// ClientRegistry): its clients add to or override the program's, validated
// as declared clients are, and its primary client, when set, is the client
// of every LLM function the call runs. The spans' attempts name the client
// actually used.
func WithClientRegistry(r *llm.ClientRegistry) CallOption {
	return func(c *callConfig) { c.registry = r }
}

// WithClient makes name (a program client, a registry client or a
// "provider/model" shorthand) the client of every LLM function the call
// runs: BAML's client option, a registry whose only change is its primary.
func WithClient(name string) CallOption {
	return func(c *callConfig) {
		if c.registry == nil {
			c.registry = llm.NewClientRegistry()
		} else {
			cp := *c.registry
			c.registry = &cp
		}
		c.registry.SetPrimary(name)
	}
}

// WithCollector attaches a sink that sees the whole subtree of the call: its
// root span, every traced span below it, and the spans of nested engine
// calls made from host functions inside it. A *collector.Collector is such a
// sink; several may be attached to one call.
func WithCollector(s vmspan.Sink) CallOption {
	return func(c *callConfig) { c.scoped = append(c.scoped, s) }
}

// WithCallMaxSteps overrides the engine's step budget for one call.
func WithCallMaxSteps(n int64) CallOption {
	return func(c *callConfig) { c.maxSteps = &n }
}

// WithStrictParsing refuses LLM replies whose coercion to the return type
// would lose data (a list element dropped, a number rounded, a missing
// list defaulted, a truncated value kept): the LLM function fails with an
// *llm.ParseError listing the parse notes instead of returning a value.
// It applies to the LLM functions this call runs, not to engine calls
// made from host functions inside it.
func WithStrictParsing() CallOption {
	return func(c *callConfig) { c.strict = true }
}

// WithRetryInvalidReplies makes an LLM reply that cannot be parsed into
// the function's return type, or whose value fails an @assert (or, with
// WithStrictParsing, is coerced with loss), a failed attempt like an HTTP
// 5xx: it is retried under the client's retry_policy, and a fallback (or
// round-robin) client moves on to its next client; each attempt is
// recorded on the LLM span with its error. By default such a reply fails
// the LLM function at once, as in BAML, whose retries and fallbacks are
// for failed requests only. A streamed call (Stream) whose partial values
// were already delivered is not retried either way. It applies to the LLM
// functions this call runs, not to engine calls made from host functions
// inside it. See llm.Request.RetryInvalid.
func WithRetryInvalidReplies() CallOption {
	return func(c *callConfig) { c.retry = true }
}

// WithParseNotes has f called, on the calling goroutine, after each LLM
// function of the call whose reply was coerced with loss, with the
// function's name and the parse notes (see vmspan.ParseNote). The notes
// are also recorded on the LLM span's selected attempt, so traces carry
// them too.
func WithParseNotes(f func(function string, notes []vmspan.ParseNote)) CallOption {
	return func(c *callConfig) { c.notes = f }
}

// WithChecks has f called, on the calling goroutine, after each LLM
// function of the call whose return type has @check constraints, with the
// function's name and the checks' outcomes (see vmspan.CheckResult; their
// paths place them in the function's result). Checks never fail a call;
// the outcomes are also recorded on the LLM span's selected attempt, so
// traces carry them too.
func WithChecks(f func(function string, checks []vmspan.CheckResult)) CallOption {
	return func(c *callConfig) { c.checks = f }
}

// WithTypes makes the call use the additions of a type builder: the
// fields of @@dynamic classes and values of @@dynamic enums it adds appear
// in {{ ctx.output_format }}, LLM replies are parsed and coerced with
// them, and arguments and results carry them. The builder is built on
// first use; its errors fail the call before it starts (no span).
func WithTypes(tb *TypeBuilder) CallOption {
	return func(c *callConfig) { c.types = tb }
}

// UnknownFunctionError is returned by Call for a name the program does not define.
type UnknownFunctionError struct{ Name string }

func (e *UnknownFunctionError) Error() string { return fmt.Sprintf("unknown function %q", e.Name) }

// ErrorType implements the error type reported in span events.
func (e *UnknownFunctionError) ErrorType() string { return "UnknownFunction" }

// ArgError reports arguments that do not fit the function's parameters.
type ArgError struct {
	Function string
	Msg      string
	Err      error // the conversion error behind Msg, if any
}

func (e *ArgError) Error() string { return fmt.Sprintf("call %s: %s", e.Function, e.Msg) }

// ErrorSummary returns Error with the summary of the error behind the
// message in place of its message, which may quote the argument's value
// (see vmspan.ErrorSummary).
func (e *ArgError) ErrorSummary() string {
	if e.Err == nil {
		return e.Error() // the message names arguments, never their values
	}
	if ae, ok := e.Err.(*llm.AssertError); ok && ae.Function == e.Function {
		a := *ae
		a.Function = "" // as in Msg: Error names it
		return "call " + e.Function + ": " + a.ErrorSummary()
	}
	head, ok := strings.CutSuffix(e.Msg, e.Err.Error())
	if !ok {
		head = ""
	}
	return "call " + e.Function + ": " + head + vmspan.ErrorSummary(e.Err)
}

// Unwrap returns the conversion error behind the message, if any.
func (e *ArgError) Unwrap() error { return e.Err }

// ErrorType implements the error type reported in span events.
func (e *ArgError) ErrorType() string { return "ArgumentError" }

// Call runs the function name with args and returns its result as a Go
// value: nil, bool, int64, float64, string, []any or map[string]any (class
// instances become maps of their fields, enum values strings). Use Decode
// or CallAs for a typed result.
//
// args is nil, a map[string]any of named arguments, a []any of positional
// arguments, or a struct (or pointer to one) whose json-tagged fields name
// the arguments. Go values convert by the parameter's declared type: ints,
// floats, strings, bools, slices, maps, structs (through json tags) and
// pointers. Arguments and the result are checked against the declared
// types.
//
// A call that fails validation (unknown function, bad arguments) returns
// an error and starts no span. Otherwise, when anything listens, the call
// is a root span (kind root) under the innermost bex span in ctx or the
// caller's OpenTelemetry span, and every traced function it runs is a span
// below it; every span ends exactly once, with the error if it failed.
// Cancelling ctx stops the call promptly with an error wrapping ctx.Err().
func (e *Engine) Call(ctx context.Context, name string, args any, opts ...CallOption) (any, error) {
	return e.call(ctx, name, args, nil, opts)
}

// call runs a call; partial, when not nil, receives the partial values of
// the LLM calls it makes (see Stream).
func (e *Engine) call(ctx context.Context, name string, args any, partial func(fn string, v any) bool, opts []CallOption) (any, error) {
	cfg := configOf(opts)
	fn := e.prog.Function(name)
	if fn == nil || fn.Kind == vm.FuncHost {
		return nil, &UnknownFunctionError{name}
	}
	overlay, err := cfg.overlay(e)
	if err != nil {
		return nil, err
	}
	vals, err := convertArgs(fn, args, overlay)
	if err != nil {
		return nil, err
	}
	if err := e.checkArgs(fn, vals); err != nil {
		msg := *err
		msg.Function = "" // ArgError's message names it
		return nil, &ArgError{Function: name, Msg: msg.Error(), Err: err}
	}
	nested := nesting(ctx)
	if nested >= MaxNestedCalls {
		return nil, fmt.Errorf("call %s: %d engine calls nested through host functions: %w", name, nested, vm.ErrStackOverflow)
	}
	tracer := e.tracer
	if tracer == nil {
		tracer = vmspan.Default()
	}
	cs := &callState{e: e, fn: fn, ctx: ctx, nested: nested, registry: cfg.registry, strict: cfg.strict, retry: cfg.retry, notes: cfg.notes,
		checks: cfg.checks, overlay: overlay,
		timeouts: cfg.timeouts, partial: partial, events: cfg.events, partialEvents: cfg.partials}
	sinks := append(e.sinks[:len(e.sinks):len(e.sinks)], cfg.scoped...)
	var argSnaps []vmspan.Arg
	if tracer.Sink() != nil || len(sinks) > 0 || vmspan.SpanFromContext(ctx) != nil {
		argSnaps = snapshotArgs(fn.Params, vals) // else no sink takes the span: StartSpan returns nil
	}
	root := tracer.StartSpan(ctx, name, vmspan.StartConfig{Kind: vmspan.KindRoot, Args: argSnaps, Sinks: sinks})
	// Calls nested through host functions share one depth limit, so that
	// bex -> host -> bex -> ... recursion ends in an error, not in a Go
	// stack overflow, which would kill the process.
	th := threads.Get().(*vm.Thread)
	defer releaseThread(th)
	th.Ctx, th.MaxSteps, th.MaxDepth, th.Externals, th.Hook = ctx, e.maxSteps, e.maxDepth-nested, cs, nil
	if cfg.maxSteps != nil {
		th.MaxSteps = *cfg.maxSteps
	}
	if root != nil {
		cs.frames = vmspan.NewFrameTracker(ctx, root)
		th.Hook = cs.frames
	}
	res, err := cs.run(th, vals)
	if cs.frames != nil {
		snap, ok := cs.frames.Result() // the called function is a traced frame
		if !ok && err == nil {
			snap = vm.Snapshot(res)
		}
		cs.frames.End(snap, err)
	}
	if err != nil {
		return nil, err
	}
	return vm.ToGo(res), nil
}

// configOf returns the configuration opts make. Only a call with options
// allocates one (the options take its address).
func configOf(opts []CallOption) callConfig {
	if len(opts) == 0 {
		return callConfig{}
	}
	c := new(callConfig)
	for _, o := range opts {
		o(c)
	}
	return *c
}

// threads holds the VM threads of ended calls, so that a call reuses a
// thread's stack instead of allocating one.
var threads = sync.Pool{New: func() any { return new(vm.Thread) }}

// releaseThread returns th to the pool without the references of its call.
// The VM ends a call (clearing the stack) before Program.Call returns, on
// every path.
func releaseThread(th *vm.Thread) {
	th.Ctx, th.Externals, th.Hook = nil, nil, nil
	threads.Put(th)
}

// InternalError reports a panic inside the engine or VM itself (a bug); the
// call's spans still end.
type InternalError struct {
	Value any
	Stack []byte
}

func (e *InternalError) Error() string { return fmt.Sprintf("bex internal error: %v", e.Value) }

// ErrorType implements the error type reported in span events.
func (e *InternalError) ErrorType() string { return "InternalError" }

func (cs *callState) run(th *vm.Thread, vals []vm.Value) (res vm.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &InternalError{Value: r, Stack: debug.Stack()}
		}
	}()
	return cs.e.prog.Call(th, cs.fn, vals)
}

// CallAs calls name and decodes its result into a T (see Decode).
func CallAs[T any](ctx context.Context, e *Engine, name string, args any, opts ...CallOption) (T, error) {
	res, err := e.Call(ctx, name, args, opts...)
	if err != nil {
		var zero T
		return zero, err
	}
	return Decode[T](res)
}

// Decode converts a result of Call into a T through its JSON form, so
// structs decode by their json tags: the T is what
// json.Unmarshal(json.Marshal(v)) makes, error included. Results of plain
// types (structs of strings, numbers, booleans, slices, maps and pointers
// of them, with json tags) are set directly, without the JSON text.
func Decode[T any](v any) (T, error) {
	var out T
	if x, ok := v.(T); ok {
		return x, nil
	}
	if setDirect(reflect.ValueOf(&out).Elem(), v) {
		return out, nil
	}
	out = *new(T)
	b, ok := fastjson.Append(nil, v, nil) // json.Marshal's bytes, for the values results are made of
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return out, err
		}
	}
	err := json.Unmarshal(b, &out)
	return out, err
}

// overlay builds the call's type builder, if any.
func (c *callConfig) overlay(e *Engine) (*types.Overlay, error) {
	if c.built != nil {
		if c.types != nil {
			return nil, errors.New("WithTypes: a test's type_builder and a type builder cannot be combined")
		}
		return c.built, nil
	}
	if c.types == nil {
		return nil, nil
	}
	if c.types.e != e {
		return nil, errors.New("WithTypes: the type builder was made by another engine")
	}
	return c.types.Build()
}

func convertArgs(fn *vm.Function, args any, o *types.Overlay) ([]vm.Value, error) {
	named, positional, err := splitArgs(args)
	if err != nil {
		return nil, &ArgError{Function: fn.Name, Msg: err.Error(), Err: err}
	}
	if named, positional, err = mediaArgs(fn, named, positional); err != nil {
		return nil, err
	}
	if named != nil {
		return namedArgs(fn, named, o)
	}
	if len(positional) != len(fn.Params) {
		return nil, &ArgError{Function: fn.Name, Msg: fmt.Sprintf("want %d arguments, got %d", len(fn.Params), len(positional))}
	}
	vals := make([]vm.Value, len(positional))
	for i, p := range fn.Params {
		v, err := vm.FromGoWith(positional[i], p.Type, o)
		if err != nil {
			return nil, &ArgError{Function: fn.Name, Msg: fmt.Sprintf("argument %s: %v", p.Name, err), Err: err}
		}
		vals[i] = v
	}
	return vals, nil
}

func namedArgs(fn *vm.Function, named map[string]any, o *types.Overlay) ([]vm.Value, error) {
	vals := make([]vm.Value, len(fn.Params))
	seen := 0
	for i, p := range fn.Params {
		x, ok := named[p.Name]
		if !ok && !p.Type.Nullable() {
			return nil, &ArgError{Function: fn.Name, Msg: fmt.Sprintf("missing argument %s", p.Name)}
		}
		if ok {
			seen++
		}
		v, err := vm.FromGoWith(x, p.Type, o)
		if err != nil {
			return nil, &ArgError{Function: fn.Name, Msg: fmt.Sprintf("argument %s: %v", p.Name, err), Err: err}
		}
		vals[i] = v
	}
	if seen != len(named) {
		for k := range named {
			if !hasParam(fn, k) {
				return nil, &ArgError{Function: fn.Name, Msg: fmt.Sprintf("unknown argument %s", k)}
			}
		}
	}
	return vals, nil
}

func hasParam(fn *vm.Function, name string) bool {
	for _, p := range fn.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// splitArgs sorts args into named or positional form.
func splitArgs(args any) (map[string]any, []any, error) {
	switch a := args.(type) {
	case nil:
		return nil, nil, nil
	case map[string]any:
		return a, nil, nil
	case []any:
		return nil, a, nil
	}
	rv := reflect.ValueOf(args)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Struct:
		b, err := json.Marshal(args)
		if err != nil {
			return nil, nil, err
		}
		var m map[string]any
		return m, nil, json.Unmarshal(b, &m)
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return nil, out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return m, nil, nil
		}
	}
	return nil, nil, fmt.Errorf("args must be nil, a map of named arguments, a slice of positional arguments or a struct, not %T", args)
}

func snapshotArgs(params []vm.Param, vals []vm.Value) []vmspan.Arg {
	args := make([]vmspan.Arg, len(vals))
	for i, v := range vals {
		args[i] = vmspan.Arg{Name: params[i].Name, Value: vm.Snapshot(v)}
	}
	return vmspan.RedactArgs(args)
}

// MaxNestedCalls is how deep engine calls may nest through host functions
// (bex code calling a host function that calls the engine again): a deeper
// call fails with an error wrapping vm.ErrStackOverflow. Nested calls also
// share the depth limit, so such a recursion ends in an error, never in a Go
// stack overflow, which would kill the process.
const MaxNestedCalls = 100

// nestKey marks the ctx given to host functions with the number of engine
// calls enclosing them.
type nestKey struct{}

// nesting returns how many engine calls enclose ctx (through host functions).
func nesting(ctx context.Context) int {
	n, _ := ctx.Value(nestKey{}).(int)
	return n
}

// callState is the state of one Call that the VM reaches through
// vm.Externals; its traced frames' spans are kept by frames (nil when
// nothing listens). One exists per Call and is used by one goroutine.
type callState struct {
	e      *Engine
	fn     *vm.Function
	ctx    context.Context
	nested int // engine calls enclosing this one through host functions
	frames *vmspan.FrameTracker
	// registry is the call's client registry (WithClientRegistry), or nil.
	registry *llm.ClientRegistry
	strict   bool // WithStrictParsing
	retry    bool // WithRetryInvalidReplies
	notes    func(string, []vmspan.ParseNote)
	checks   func(string, []vmspan.CheckResult)
	overlay  *types.Overlay // WithTypes: what the call adds to @@dynamic types
	timeouts llm.Timeouts   // WithTimeouts
	// partial receives the partial values of a streamed call's LLM calls
	// (Stream); nil for Call.
	partial func(fn string, v any) bool
	events  bool // WithStreamEvents
	// partialEvents is how many partial values of each LLM call become
	// span events (WithPartialEvents).
	partialEvents int
}

// spanCtx returns the ctx for code running in the innermost traced frame:
// the call's ctx carrying that frame's span.
func (cs *callState) spanCtx() context.Context {
	if cs.frames == nil {
		return cs.ctx
	}
	return cs.frames.Context()
}

// CallHost calls a registered Go function, checking its arguments and
// converting its result.
func (cs *callState) CallHost(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	h := cs.e.hosts[fn.Name]
	if h == nil {
		return vm.Value{}, fmt.Errorf("host function %s is not registered", fn.Name)
	}
	goArgs := make([]any, len(args)) // the VM checked them against the declared types
	for i, a := range args {
		goArgs[i] = vm.ToGo(a)
	}
	ctx := cs.spanCtx()
	res, err := h.Fn(context.WithValue(ctx, nestKey{}, cs.nested+1), goArgs)
	if err != nil {
		return vm.Value{}, err
	}
	v, err := vm.FromGo(res, fn.Result)
	if err != nil {
		return vm.Value{}, fmt.Errorf("%s: result: %w", fn.Name, err)
	}
	return v, nil
}

// llmSpan returns the span of the LLM function being called, or nil when
// nothing listens.
func (cs *callState) llmSpan() *vmspan.Span {
	if cs.frames == nil {
		return nil
	}
	return vmspan.SpanFromContext(cs.spanCtx())
}

// CallLLM renders the function's prompt, calls the provider(s) and parses
// the reply into the declared return type. The attempts are recorded on the
// function's span.
func (cs *callState) CallLLM(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	if fn != cs.fn { // Call tested the arguments of the function it calls
		if err := cs.e.checkArgs(fn, args); err != nil {
			return vm.Value{}, err
		}
	}
	body := fn.Decl.LLM
	named := make([]vmspan.Arg, len(args))
	for i, a := range args {
		named[i] = vmspan.Arg{Name: fn.Params[i].Name, Value: vm.SnapshotWithMedia(a)}
	}
	req := llm.Request{
		Function: fn.Name, Client: body.Client, Prompt: body.Prompt,
		PromptFile: fn.File, PromptLine: int(body.PromptPos.Line), Args: named, Output: fn.Result,
		Registry: cs.registry,
		Strict:   cs.strict, RetryInvalid: cs.retry, Timeouts: cs.timeouts, StreamEvents: cs.events,
		Types: cs.overlay,
	}
	if cs.partial != nil {
		span, left := cs.llmSpan(), cs.partialEvents
		req.Partial = func(v any) bool {
			if left > 0 && span != nil {
				span.Partial(v) // partial values are immutable: no copy needed
				left--
			}
			return cs.partial(fn.Name, v)
		}
	}
	ctx := cs.spanCtx()
	// No span takes the attempts, nor starts live ones (under a span of
	// ctx): nothing reads their HTTP records.
	req.NoHTTPRecords = cs.frames == nil && vmspan.SpanFromContext(ctx) == nil
	res, err := cs.e.llm.Call(ctx, req)
	if cs.frames != nil { // else ctx's span, if any, is not this call's
		vmspan.SpanFromContext(ctx).AddAttempts(res.Attempts...)
	}
	if err != nil {
		return vm.Value{}, err
	}
	if len(res.Notes) > 0 && cs.notes != nil {
		cs.notes(fn.Name, res.Notes)
	}
	if len(res.Checks) > 0 && cs.checks != nil {
		cs.checks(fn.Name, res.Checks)
	}
	return vm.FromGoWith(res.Value, fn.Result, cs.overlay)
}
