package vm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

// recordingHook records the frame protocol and checks its invariants: exits
// match enters innermost first, and every exit is reported exactly once.
type recordingHook struct {
	t      *testing.T
	events []string
	stack  []int
	errs   []error
}

func (h *recordingHook) EnterFrame(f *vmspan.Frame) {
	args := make([]string, len(f.Args))
	for i, a := range f.Args {
		if _, ok := a.Value.(vm.Value); ok {
			h.t.Errorf("frame %s: arg %d is a vm.Value, want a snapshot", f.Name, i)
		}
		args[i] = a.Name + "=" + fmt.Sprint(a.Value)
	}
	if n := len(h.stack); n > 0 && f.Depth <= h.stack[n-1] {
		h.t.Errorf("enter %s at depth %d inside depth %d", f.Name, f.Depth, h.stack[n-1])
	}
	h.stack = append(h.stack, f.Depth)
	h.events = append(h.events, fmt.Sprintf("enter %d %s %s(%s)", f.Depth, f.Kind, f.Name, strings.Join(args, ", ")))
}

func (h *recordingHook) ExitFrame(depth int, result any, err error) {
	n := len(h.stack)
	if n == 0 || h.stack[n-1] != depth {
		h.t.Errorf("exit of depth %d, open frames %v", depth, h.stack)
	} else {
		h.stack = h.stack[:n-1]
	}
	if err != nil {
		h.errs = append(h.errs, err)
		h.events = append(h.events, fmt.Sprintf("exit %d error", depth))
		return
	}
	if _, ok := result.(vm.Value); ok {
		h.t.Errorf("exit of depth %d: result is a vm.Value, want a snapshot", depth)
	}
	h.events = append(h.events, fmt.Sprintf("exit %d %v", depth, result))
}

// balanced reports an error if frames are still open.
func (h *recordingHook) balanced() {
	h.t.Helper()
	if len(h.stack) != 0 {
		h.t.Errorf("unbalanced: frames %v still open", h.stack)
	}
}

const traceProgram = `
function Ask(q: string) -> string {
    client "openai/gpt-4o-mini"
    prompt #"{{ q }}"#
}
function FailingAsk(q: string) -> string {
    client "openai/gpt-4o-mini"
    prompt #"{{ q }}"#
}
function outer(n: int) -> int {
    @@trace
    middle(n) + 1
}
function middle(n: int) -> int {
    @@trace
    plain(n) * 2
}
function plain(n: int) -> int { inner(n) }
function inner(n: int) -> int {
    @@trace
    10 / n
}
function recurse(n: int) -> int {
    @@trace
    recurse(n + 1)
}
function spin() -> int {
    @@trace
    while true { }
    0
}
function cancel_then_spin() -> int {
    @@trace
    traced_echo(1);
    cancel();
    while true { }
    0
}
function panicky() -> int {
    @@trace
    traced_echo(panic_now())
}
function asks(q: string) -> string {
    @@trace
    Ask(q) + "!"
}
function fails_llm() -> string {
    @@trace
    FailingAsk("q")
}
function untraced(n: int) -> int { n + 1 }
function host_in_traced() -> int {
    @@trace
    traced_echo(4) + sum_ints("x", 1)
}
`

// traceHosts are testHosts plus cancel(), which cancels the call's context.
var traceHosts = func() map[string]vm.HostSig {
	m := map[string]vm.HostSig{"cancel": {}}
	for k, v := range testHosts {
		m[k] = v
	}
	return m
}()

type cancelExternals struct {
	testExternals
	cancel context.CancelFunc
}

func (e *cancelExternals) CallHost(fn *vm.Function, args []vm.Value) (vm.Value, error) {
	if fn.Name == "cancel" {
		e.cancel()
		return vm.Null, nil
	}
	return e.testExternals.CallHost(fn, args)
}

func traceCall(t *testing.T, th *vm.Thread, name string, args ...vm.Value) (*recordingHook, vm.Value, error) {
	t.Helper()
	prog := compileWith(t, traceProgram, traceHosts)
	h := &recordingHook{t: t}
	th.Hook = h
	if th.Externals == nil {
		th.Externals = &testExternals{prog: prog}
	}
	v, err := prog.Call(th, prog.Function(name), args)
	h.balanced()
	return h, v, err
}

func compileWith(t testing.TB, src string, hosts map[string]vm.HostSig) *vm.Program {
	t.Helper()
	saved := testHosts
	testHosts = hosts
	defer func() { testHosts = saved }()
	return compileSource(t, "trace.baml", src)
}

func wantEvents(t *testing.T, h *recordingHook, want ...string) {
	t.Helper()
	if got := strings.Join(h.events, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestTraceNormalReturn(t *testing.T) {
	h, v, err := traceCall(t, &vm.Thread{}, "outer", vm.Int(5))
	if err != nil || v.Int() != 5 {
		t.Fatalf("got %v, %v; want 5", v, err)
	}
	wantEvents(t, h,
		"enter 1 expr outer(n=5)",
		"enter 2 expr middle(n=5)",
		"enter 4 expr inner(n=5)", // plain, at depth 3, is not traced
		"exit 4 2",
		"exit 2 4",
		"exit 1 5")
}

func TestTraceErrorThreeFramesDeep(t *testing.T) {
	h, _, err := traceCall(t, &vm.Thread{}, "outer", vm.Int(0))
	var ee *vm.EvalError
	if !errors.As(err, &ee) || ee.Msg != "division by zero" {
		t.Fatalf("got %v, want division by zero", err)
	}
	wantEvents(t, h,
		"enter 1 expr outer(n=0)",
		"enter 2 expr middle(n=0)",
		"enter 4 expr inner(n=0)",
		"exit 4 error",
		"exit 2 error",
		"exit 1 error")
	for _, e := range h.errs {
		if e != err {
			t.Errorf("exit error %v is not the returned error", e)
		}
	}
	wantStack := "division by zero\n" +
		"  at inner (trace.baml:21:8)\n" +
		"  at plain (trace.baml:18:33)\n" +
		"  at middle (trace.baml:16:5)\n" +
		"  at outer (trace.baml:12:5)"
	if err.Error() != wantStack {
		t.Errorf("error:\n%s\nwant:\n%s", err, wantStack)
	}
	if got := ee.ErrorType(); got != "EvalError" {
		t.Errorf("ErrorType = %q", got)
	}
}

func TestTraceHostAndLLMFrames(t *testing.T) {
	h, v, err := traceCall(t, &vm.Thread{}, "asks", vm.String("why"))
	if err != nil || v.Str() != "llm:Ask(why)!" {
		t.Fatalf("got %v, %v", v, err)
	}
	wantEvents(t, h,
		"enter 1 expr asks(q=why)",
		"enter 2 llm Ask(q=why)",
		"exit 2 llm:Ask(why)",
		"exit 1 llm:Ask(why)!")

	h, v, err = traceCall(t, &vm.Thread{}, "host_in_traced")
	if err != nil || v.Int() != 5 {
		t.Fatalf("got %v, %v", v, err)
	}
	wantEvents(t, h, // sum_ints is not traced
		"enter 1 expr host_in_traced()",
		"enter 2 host-function traced_echo(x=4)",
		"exit 2 4",
		"exit 1 5")
}

func TestTraceLLMAtTop(t *testing.T) {
	h, v, err := traceCall(t, &vm.Thread{}, "Ask", vm.String("q"))
	if err != nil || v.Str() != "llm:Ask(q)" {
		t.Fatalf("got %v, %v", v, err)
	}
	wantEvents(t, h, "enter 1 llm Ask(q=q)", "exit 1 llm:Ask(q)")
}

func TestTraceLLMError(t *testing.T) {
	h, _, err := traceCall(t, &vm.Thread{}, "fails_llm")
	if !errors.Is(err, errLLM) {
		t.Fatalf("got %v, want the LLM error as cause", err)
	}
	var ee *vm.EvalError
	if errors.As(err, &ee); ee.Cause != errLLM {
		t.Errorf("cause %v is not the LLM error unchanged", ee.Cause)
	}
	wantEvents(t, h,
		"enter 1 expr fails_llm()",
		"enter 2 llm FailingAsk(q=q)",
		"exit 2 error",
		"exit 1 error")
	if !strings.Contains(err.Error(), "  at FailingAsk (trace.baml:6:10)\n  at fails_llm (trace.baml:49:5)") {
		t.Errorf("stack missing the LLM frame:\n%v", err)
	}
}

func TestTraceHostPanic(t *testing.T) {
	th := &vm.Thread{}
	h, _, err := traceCall(t, th, "panicky")
	var pe *vm.PanicError
	if !errors.As(err, &pe) || pe.Value != "host panic" || len(pe.Stack) == 0 {
		t.Fatalf("got %v, want a *PanicError", err)
	}
	if got := err.(*vm.EvalError).ErrorType(); got != "HostPanic" {
		t.Errorf("ErrorType = %q, want HostPanic", got)
	}
	wantEvents(t, h, "enter 1 expr panicky()", "exit 1 error")
	// The thread stays usable.
	h, v, err := traceCall(t, th, "outer", vm.Int(1))
	if err != nil || v.Int() != 21 {
		t.Fatalf("after a panic: %v, %v", v, err)
	}
	if len(h.events) != 6 {
		t.Errorf("events after a panic: %v", h.events)
	}
}

func TestTraceCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	th := &vm.Thread{Ctx: ctx, Externals: &cancelExternals{cancel: cancel}}
	h, _, err := traceCall(t, th, "cancel_then_spin")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if got := err.(*vm.EvalError).ErrorType(); got != "Canceled" {
		t.Errorf("ErrorType = %q", got)
	}
	wantEvents(t, h,
		"enter 1 expr cancel_then_spin()",
		"enter 2 host-function traced_echo(x=1)",
		"exit 2 1",
		"exit 1 error")
	if th.Steps() > 10000 {
		t.Errorf("cancellation noticed after %d steps", th.Steps())
	}
}

func TestTraceCanceledBeforeExternalCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	th := &vm.Thread{Ctx: ctx, Externals: &cancelExternals{cancel: cancel}}
	prog := compileWith(t, `function f() -> int { cancel(); traced_echo(1) }`, traceHosts)
	h := &recordingHook{t: t}
	th.Hook = h
	_, err := prog.Call(th, prog.Function("f"), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	h.balanced()
	wantEvents(t, h, "enter 2 host-function traced_echo(x=1)", "exit 2 error")
}

func TestTraceDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	_, _, err := traceCall(t, &vm.Thread{Ctx: ctx}, "spin")
	if !errors.Is(err, context.DeadlineExceeded) || err.(*vm.EvalError).ErrorType() != "DeadlineExceeded" {
		t.Fatalf("got %v", err)
	}
}

func TestTraceStepLimit(t *testing.T) {
	th := &vm.Thread{MaxSteps: 5000}
	h, _, err := traceCall(t, th, "spin")
	if !errors.Is(err, vm.ErrStepLimit) || err.(*vm.EvalError).ErrorType() != "StepLimit" {
		t.Fatalf("got %v, want ErrStepLimit", err)
	}
	if th.Steps() != 5000 {
		t.Errorf("Steps = %d, want 5000", th.Steps())
	}
	wantEvents(t, h, "enter 1 expr spin()", "exit 1 error")
}

func TestTraceStackOverflow(t *testing.T) {
	h, _, err := traceCall(t, &vm.Thread{MaxDepth: 50}, "recurse", vm.Int(0))
	if !errors.Is(err, vm.ErrStackOverflow) || err.(*vm.EvalError).ErrorType() != "StackOverflow" {
		t.Fatalf("got %v, want ErrStackOverflow", err)
	}
	if len(h.events) != 100 || h.events[49] != "enter 50 expr recurse(n=49)" || h.events[50] != "exit 50 error" {
		t.Errorf("events: %d, around the top: %v", len(h.events), h.events[48:52])
	}
	if n := len(err.(*vm.EvalError).Stack); n != 50 {
		t.Errorf("stack has %d frames, want 50", n)
	}
}

func TestUntracedCallsNeverReachTheHook(t *testing.T) {
	h, v, err := traceCall(t, &vm.Thread{}, "untraced", vm.Int(1))
	if err != nil || v.Int() != 2 || len(h.events) != 0 {
		t.Fatalf("got %v, %v, events %v", v, err, h.events)
	}
}

func TestNilHook(t *testing.T) {
	prog := compileWith(t, traceProgram, traceHosts)
	th := &vm.Thread{Externals: &testExternals{prog: prog}}
	for _, name := range []string{"outer", "asks", "host_in_traced"} {
		fn := prog.Function(name)
		args := []vm.Value{vm.Int(2)}
		if name == "asks" {
			args = []vm.Value{vm.String("x")}
		} else if name == "host_in_traced" {
			args = nil
		}
		if _, err := prog.Call(th, fn, args); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := prog.Call(th, prog.Function("outer"), []vm.Value{vm.Int(0)}); err == nil {
		t.Error("division by zero did not fail without a hook")
	}
}
