// eval.go holds Thread and Program.Call, the single entry point for running
// functions, and the call/return choke point where traced frames are reported.

package vm

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/bexrun/bex/vmspan"
)

// DefaultMaxDepth is the frame depth limit when Thread.MaxDepth is zero.
const DefaultMaxDepth = 10000

// checkInterval is how many steps run between two checks of the context; a
// power of two near 1000 keeps cancellation prompt (microseconds) at a
// negligible cost.
const checkInterval = 2048

// Externals performs the calls the VM cannot: host functions and LLM
// functions. args is valid only during the call (it is the VM's stack): an
// implementation must copy what it keeps. The engine derives ctx itself.
type Externals interface {
	CallHost(fn *Function, args []Value) (Value, error)
	CallLLM(fn *Function, args []Value) (Value, error)
}

// A Thread is the state of one call: its limits, its tracing hook, its
// external calls, and the VM's stack. A Thread runs one call at a time and
// is not safe for concurrent use; it may be reused for later calls.
type Thread struct {
	// Ctx is checked every few thousand instructions and before each host or
	// LLM call; once it is done the call fails with an error wrapping
	// Ctx.Err(). nil means context.Background().
	Ctx context.Context
	// MaxSteps limits the steps of the call; 0 is unlimited. Exceeding it
	// fails the call with ErrStepLimit. Steps approximate the instructions
	// executed: the VM charges each loop iteration the length of the loop in
	// instructions and each call the length of the called function (one for
	// host and LLM functions), at the loop's back edge and at the call.
	MaxSteps int64
	// MaxDepth limits the call depth (frames of every kind); 0 means
	// DefaultMaxDepth. Exceeding it fails the call with ErrStackOverflow.
	// bex-to-bex calls never recurse on the Go stack.
	MaxDepth int
	// Hook is told about traced frames; nil means no tracing work at all.
	// The *vmspan.Frame passed to EnterFrame and its Args slice are reused
	// by the next traced call: a hook copies what it keeps. Args and the
	// result given to ExitFrame are snapshots (see Snapshot), taken by the
	// VM so that it never boxes a Value into an interface.
	Hook vmspan.FrameHook
	// Externals performs host and LLM calls.
	Externals Externals

	prog      *Program
	stack     []Value
	frames    []frame
	high      int // the highest stack index used by this call
	done      <-chan struct{}
	budget    int64 // steps left before the next checkpoint
	chunk     int64 // the budget the current stretch started with
	steps     int64 // steps counted at checkpoints
	maxDepth  int
	running   bool
	argbuf    []vmspan.Arg
	hookFrame vmspan.Frame
	box       boxer
	globals   []global // the values of the top-level lets this call has read
}

// A global is the value of a top-level let in one call.
type global struct {
	v     Value
	state uint8 // globalUnset, globalRunning or globalSet
}

const (
	globalUnset uint8 = iota
	globalRunning
	globalSet
)

// A frame is one active function call. External (host and LLM) calls get a
// frame too, so that the stack and the traced-frame bookkeeping treat every
// kind of call alike.
type frame struct {
	fn     *Function
	pc     int // the next instruction; pc-1 is the one running or calling
	base   int // the first local slot in the stack
	traced bool
}

// Steps returns the number of steps (see MaxSteps) of the thread's last (or
// current) call.
func (th *Thread) Steps() int64 { return th.steps + th.chunk - th.budget }

// Call calls fn with args. It checks the argument count and types (converting
// ints to floats where floats are expected) and the result type, and returns
// the result. Errors are *EvalError, except for a wrong function or a thread
// already running a call. Go panics in host functions become errors; the
// Thread stays usable.
func (p *Program) Call(th *Thread, fn *Function, args []Value) (result Value, err error) {
	if fn == nil || fn.prog != p {
		return Null, errors.New("vm: Call of a function from another program")
	}
	if th.running {
		return Null, errors.New("vm: Thread is already running a call")
	}
	if err := th.begin(p); err != nil {
		return Null, err
	}
	defer th.end()
	base, err := th.pushArgs(fn, args)
	if err != nil {
		return Null, err
	}
	defer func() {
		if r := recover(); r != nil { // an internal error: fail the call, keep the books
			err = th.unwind(0, &causeError{fmt.Sprintf("internal error: %v", r), &PanicError{r, debug.Stack()}})
			result = Null
		}
	}()
	if err := th.enter(fn, base, len(args)); err != nil {
		return Null, th.unwind(0, err)
	}
	if fn.Kind == FuncExpr {
		return th.run(0)
	}
	v, err := th.callExternal(fn, th.stack[:len(args):len(args)])
	if err != nil {
		return Null, th.unwind(0, err)
	}
	th.leave(v)
	return v, nil
}

// begin prepares th for a call of p.
func (th *Thread) begin(p *Program) error {
	th.prog = p
	th.running = true
	th.maxDepth = th.MaxDepth
	if th.maxDepth <= 0 {
		th.maxDepth = DefaultMaxDepth
	}
	th.done = nil
	if th.Ctx != nil {
		th.done = th.Ctx.Done()
		if err := th.Ctx.Err(); err != nil {
			th.running = false
			return &EvalError{Msg: err.Error(), Cause: err}
		}
	}
	th.steps, th.chunk, th.budget = 0, 0, 0 // the first step makes a checkpoint
	th.frames = th.frames[:0]
	if n := len(p.code.Globals); n > 0 {
		if cap(th.globals) < n {
			th.globals = make([]global, n)
		}
		th.globals = th.globals[:n]
		clear(th.globals)
	}
	if th.stack == nil {
		th.stack = make([]Value, 256)
	}
	return nil
}

// end releases the references the call left on the stack.
func (th *Thread) end() {
	clear(th.stack[:min(th.high+1, len(th.stack))])
	clear(th.globals)
	th.high = 0
	th.running = false
}

// pushArgs checks args against fn's parameters and copies them to the
// stack, returning the base of fn's frame.
func (th *Thread) pushArgs(fn *Function, args []Value) (int, error) {
	n := len(fn.Params)
	if len(args) != n && !(fn.variadic && len(args) >= n-1) {
		return 0, &EvalError{Msg: fmt.Sprintf("%s: want %s, got %d", fn.Name, argCount(fn), len(args))}
	}
	th.ensure(0, max(fn.frameSize, len(args)))
	copy(th.stack, args)
	if err := checkArgs(fn, th.stack[:len(args)]); err != nil {
		return 0, evalError(err, nil)
	}
	return 0, nil
}

func argCount(fn *Function) string {
	n := len(fn.Params)
	switch {
	case fn.variadic:
		return fmt.Sprintf("%d or more arguments", n-1)
	case n == 1:
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// checkArgs checks (and converts) the arguments of a call in place.
func checkArgs(fn *Function, args []Value) error {
	for i := range args {
		j := min(i, len(fn.params)-1)
		if pl := fn.params[j]; pl.mask&(maskFlat|maskFloat) == maskFlat && pl.takesKind(args[i].k) {
			continue // the common case, without coerce's call: check would accept, and coerce keep, the value
		}
		v, err := coerce(args[i], fn.params[j])
		if err != nil {
			return prefixed(fn.Name+": argument "+fn.Params[j].Name, err)
		}
		args[i] = v
	}
	return nil
}

// globalValue returns the value of global i in this call, if it is set.
func (th *Thread) globalValue(i int32) (Value, bool) {
	g := &th.globals[i]
	return g.v, g.state == globalSet
}

// startGlobal starts the initializer of global i: it charges the call and
// checks the depth, and reports a global read while it is being initialized.
func (th *Thread) startGlobal(i int32, init *Function) error {
	g := &th.globals[i]
	if g.state == globalRunning {
		return errorf("%s is read while it is being initialized", th.prog.code.Globals[i].Name)
	}
	g.state = globalRunning
	if err := th.charge(init.cost); err != nil {
		return err
	}
	if len(th.frames) >= th.maxDepth {
		return th.overflow()
	}
	return nil
}

// valueCall prepares a call through a function value: vals holds the value
// and then the arguments, which it moves down over the value. It checks
// what the compiler could not: that the value is a function, the argument
// count, and the argument types.
func (th *Thread) valueCall(vals []Value) (*Function, error) {
	fv := vals[0]
	if fv.k != KindFunc {
		return nil, notCallable(fv)
	}
	fn := fv.fn()
	args := vals[:len(vals)-1]
	copy(args, vals[1:])
	if n := len(fn.Params); len(args) != n && !(fn.variadic && len(args) >= n-1) {
		return nil, fmt.Errorf("%s: want %s, got %d", fn.Name, argCount(fn), len(args))
	}
	if err := th.charge(fn.cost); err != nil {
		return nil, err
	}
	if fn.checkArgs {
		return fn, checkArgs(fn, args)
	}
	return fn, nil
}

// setCaptures stores, in the frame of a lambda, the values it captured.
func setCaptures(frame []Value, fn *Function, fv Value) {
	for i, slot := range fn.captures {
		frame[slot] = fv.captures()[i]
	}
}

// makeClosure returns a lambda value holding a copy of the captured values.
func makeClosure(fn *Function, captured []Value) Value {
	if len(captured) == 0 {
		return funcValue(fn)
	}
	c := &closure{fn: fn, captures: append([]Value(nil), captured...)}
	return Value{k: KindFunc, n: 1, p: unsafe.Pointer(c)}
}

func notCallable(v Value) error {
	if v.k == KindNull {
		return errorf("cannot call null")
	}
	return errorf("cannot call %s (not a function)", v.TypeName())
}

// ensure makes the stack hold at least base+size values.
func (th *Thread) ensure(base, size int) []Value {
	need := base + size
	if need > th.high {
		th.high = need
	}
	if need <= len(th.stack) {
		return th.stack
	}
	grown := make([]Value, max(need, 2*len(th.stack)))
	copy(grown, th.stack)
	th.stack = grown
	return grown
}

// enter pushes a frame for fn whose n arguments start at base. A traced
// host or LLM function is reported to the hook here; a traced expression
// function reports itself, with the ENTER instruction its body starts with.
// enter fails when the depth limit is reached.
func (th *Thread) enter(fn *Function, base, n int) error {
	if len(th.frames) >= th.maxDepth {
		return th.overflow()
	}
	th.frames = append(th.frames, frame{fn: fn, base: base})
	if tracing && fn.traced && fn.Kind != FuncExpr && th.Hook != nil {
		th.enterHook(fn, th.stack[base:base+n])
	}
	return nil
}

// overflow is the error of a call that would pass the depth limit.
func (th *Thread) overflow() error {
	return &causeError{fmt.Sprintf("stack overflow: more than %d frames", th.maxDepth), ErrStackOverflow}
}

// enterHook marks the innermost frame, fn's, as traced and reports it to
// the hook, with its arguments named and in snapshot form, secret-named
// ones redacted (and not snapshotted). The Frame and its Args are reused
// from call to call (the hook copies what it keeps; the snapshots
// themselves are immutable).
func (th *Thread) enterHook(fn *Function, args []Value) {
	th.frames[len(th.frames)-1].traced = true
	names := fn.paramNames
	if len(args) != len(names) { // a variadic call: number the repeated arguments
		names = variadicNames(names, len(args))
	}
	buf := th.argbuf[:0]
	for i, a := range args {
		if fn.secretArgs && vmspan.IsSecretKey(names[i]) {
			buf = append(buf, vmspan.Arg{Name: names[i], Value: vmspan.Redacted})
			continue
		}
		buf = append(buf, vmspan.Arg{Name: names[i], Value: th.hookSnapshot(a)})
	}
	th.argbuf = buf
	f := &th.hookFrame // set field by field: cheaper than a struct copy
	f.Depth, f.Name, f.Kind, f.Args = len(th.frames), fn.Name, fn.SpanKind(), buf
	th.Hook.EnterFrame(f)
}

// hookSnapshot is Snapshot with a shortcut for the scalars that most
// arguments and results of traced calls are: boxed without an allocation
// each (see boxer).
func (th *Thread) hookSnapshot(v Value) any {
	switch v.k {
	case KindNull:
		return nil
	case KindInt:
		return th.box.int(int64(v.n))
	case KindFloat:
		return th.box.float(v.float())
	case KindString:
		return th.box.string(v.str())
	}
	return Snapshot(v)
}

// variadicNames names n arguments of a variadic function: the last
// parameter's name is numbered from 1 for each value it takes.
func variadicNames(params []string, n int) []string {
	if n < len(params) {
		return params[:n]
	}
	names := append([]string(nil), params[:len(params)-1]...)
	last := params[len(params)-1]
	for i := 1; len(names) < n; i++ {
		names = append(names, fmt.Sprintf("%s%d", last, i))
	}
	return names
}

// leave pops the innermost frame, a host or LLM function's, after a
// normal return of result, reporting a snapshot of result when the frame
// is traced.
func (th *Thread) leave(result Value) {
	if tracing && th.frames[len(th.frames)-1].traced {
		th.exitHook(result)
	}
	th.frames = th.frames[:len(th.frames)-1]
}

// exitHook reports the normal exit of the innermost frame, a traced one,
// with a snapshot of its result, and marks it no longer traced, so that
// the frame's exit is reported once whatever follows.
func (th *Thread) exitHook(result Value) {
	n := len(th.frames)
	th.frames[n-1].traced = false
	th.Hook.ExitFrame(n, th.hookSnapshot(result), nil)
}

// unwind pops the frames above floor after a failure, building the
// EvalError's stack first and then reporting each traced frame's exit,
// innermost first, with that error.
func (th *Thread) unwind(floor int, err error) error {
	stack := make([]StackFrame, 0, len(th.frames)-floor)
	for i := len(th.frames) - 1; i >= floor; i-- {
		f := &th.frames[i]
		sf := StackFrame{Func: f.fn.Name, File: f.fn.File, Pos: f.fn.Pos}
		if f.fn.Kind == FuncExpr {
			sf.Pos = f.fn.pos(f.pc - 1)
		}
		stack = append(stack, sf)
	}
	ee := evalError(err, stack)
	for i := len(th.frames) - 1; i >= floor; i-- {
		if tracing && th.frames[i].traced {
			th.Hook.ExitFrame(i+1, nil, ee)
		}
	}
	th.frames = th.frames[:floor]
	return ee
}

// callFrom makes an external call from the VM loop: fn's frame is pushed
// (so that it has a depth and appears in stacks), fn is called with the n
// values at base, and on success its frame is popped. On failure the frame
// stays for unwind.
func (th *Thread) callFrom(fn *Function, base, n int) (Value, error) {
	if err := th.enter(fn, base, n); err != nil {
		return Null, err
	}
	v, err := th.callExternal(fn, th.stack[base:base+n:base+n])
	if err != nil {
		return Null, err
	}
	th.leave(v)
	return v, nil
}

// callExternal calls a host or LLM function (whose frame is pushed) and
// checks its result, turning a Go panic into a *PanicError.
func (th *Thread) callExternal(fn *Function, args []Value) (v Value, err error) {
	if th.done != nil {
		select {
		case <-th.done:
			return Null, withCause(th.Ctx.Err())
		default:
		}
	}
	if th.Externals == nil {
		return Null, fmt.Errorf("%s: no Externals to perform %s calls", fn.Name, fn.Kind)
	}
	if fn.Kind == FuncLLM {
		v, err = th.Externals.CallLLM(fn, args)
	} else {
		v, err = th.callHost(fn, args)
	}
	if err != nil {
		return Null, withCause(err)
	}
	v, terr := coerce(v, fn.result)
	if terr != nil {
		return Null, prefixed(fn.Name+": result", terr)
	}
	return v, nil
}

func (th *Thread) callHost(fn *Function, args []Value) (v Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = Null, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return th.Externals.CallHost(fn, args)
}

// charge takes a step of the given cost from th.budget, making a
// checkpoint first when the budget cannot pay for it. It is small enough
// to be inlined into the interpreter loop.
func (th *Thread) charge(cost int64) error {
	if th.budget < cost {
		return th.checkpoint(cost)
	}
	th.budget -= cost
	return nil
}

// checkpoint runs when th.budget cannot pay for a step of the given cost:
// it accounts for the steps taken, enforces the step limit and the
// context, and sets the next budget, from which it takes the step.
func (th *Thread) checkpoint(cost int64) error {
	th.steps += th.chunk - th.budget
	th.chunk, th.budget = 0, 0
	if th.MaxSteps > 0 && th.steps+cost > th.MaxSteps {
		return &causeError{fmt.Sprintf("step limit exceeded (%d steps)", th.MaxSteps), ErrStepLimit}
	}
	if th.done != nil {
		select {
		case <-th.done:
			return withCause(th.Ctx.Err())
		default:
		}
	}
	th.chunk = max(checkInterval, cost)
	if th.MaxSteps > 0 {
		th.chunk = min(th.chunk, th.MaxSteps-th.steps)
	}
	th.budget = th.chunk - cost
	return nil
}
