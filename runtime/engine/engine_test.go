package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// starts returns the start events of the spans named name.
func starts(r *spantest.Recorder, name string) []vmspan.Event {
	return r.Filter(vmspan.EventStart, name)
}

// endOf returns the end event of the span id, or nil.
func endOf(r *spantest.Recorder, id vmspan.SpanID) *vmspan.Event {
	if e, ok := r.End(id); ok {
		return &e
	}
	return nil
}

// checkBalanced fails unless every start has exactly one end and every
// parent started before its child.
func checkBalanced(t *testing.T, r *spantest.Recorder) {
	t.Helper()
	started := map[vmspan.SpanID]int{}
	ended := map[vmspan.SpanID]int{}
	for _, e := range r.Events() {
		switch e.Kind {
		case vmspan.EventStart:
			if !e.Span.Parent.IsZero() && started[e.Span.Parent] == 0 {
				t.Errorf("%s started before its parent %s", e.Name, e.Span.Parent)
			}
			started[e.Span.ID]++
		case vmspan.EventEnd:
			ended[e.Span.ID]++
		}
	}
	for id, n := range started {
		if n != 1 || ended[id] != 1 {
			t.Errorf("span %s: %d starts, %d ends; want exactly 1 and 1", id, n, ended[id])
		}
	}
	if len(ended) != len(started) {
		t.Errorf("%d spans ended, %d started", len(ended), len(started))
	}
}

// fakeLLM answers LLM calls from a function of the request.
type fakeLLM func(req llm.Request) (any, error)

func (f fakeLLM) Call(ctx context.Context, req llm.Request) (llm.Result, error) {
	v, err := f(req)
	att := vmspan.LLMAttempt{Client: req.Client, Provider: "fake", Model: "m", Selected: err == nil, Err: vmspan.ErrorInfoOf(err)}
	return llm.Result{Value: v, Attempts: []vmspan.LLMAttempt{att}}, err
}

func triageLLM(req llm.Request) (any, error) {
	switch req.Function {
	case "ClassifyTicket":
		return vmspan.Object{Class: "Ticket", Fields: []vmspan.Arg{{Name: "title", Value: "Login broken"}, {Name: "priority", Value: int64(1)}}}, nil
	case "Headline":
		return "Users cannot log in", nil
	}
	return nil, fmt.Errorf("unexpected LLM function %s", req.Function)
}

func newEngine(t testing.TB, src string, opts ...engine.Option) (*engine.Engine, *spantest.Recorder) {
	t.Helper()
	p, err := engine.Parse(map[string]string{"main.baml": src})
	if err != nil {
		t.Fatal(err)
	}
	r := new(spantest.Recorder)
	opts = append([]engine.Option{engine.WithTracer(r.Tracer()), engine.WithLLM(fakeLLM(triageLLM))}, opts...)
	e, err := engine.New(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e, r
}

const clientSrc = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" api_key env.OPENAI_API_KEY }
}
`

func TestSpecExampleProgram(t *testing.T) {
	p, err := engine.LoadDir("testdata/triage")
	if err != nil {
		t.Fatal(err)
	}
	r := new(spantest.Recorder)
	e, err := engine.New(p, engine.WithTracer(vmspan.NewTracer(r)), engine.WithLLM(fakeLLM(triageLLM)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Call(context.Background(), "Triage", map[string]any{"body": "I cannot log in"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Users cannot log in (Login broken, score 13)"; got != want {
		t.Errorf("Triage = %q, want %q", got, want)
	}
	// Root + two LLM spans; Score is an untraced expression function.
	if n := r.Count(vmspan.EventStart); n != 3 {
		t.Errorf("starts = %d, want 3", n)
	}
	checkBalanced(t, r)
	ct := starts(r, "ClassifyTicket")
	if len(ct) != 1 || ct[0].SpanKind != vmspan.KindLLM || ct[0].Args[0].Name != "body" {
		t.Fatalf("ClassifyTicket span = %+v", ct)
	}
	end := endOf(r, ct[0].Span.ID)
	if obj, ok := end.Result.(vmspan.Object); !ok || obj.Class != "Ticket" || len(end.Attempts) != 1 {
		t.Errorf("ClassifyTicket end result %#v attempts %d", end.Result, len(end.Attempts))
	}
}

func TestMainReturns42(t *testing.T) {
	e, r := newEngine(t, `function main() -> int { 42 }`)
	got, err := e.Call(context.Background(), "main", nil)
	if err != nil || got != int64(42) {
		t.Fatalf("main() = %v, %v", got, err)
	}
	s := starts(r, "main")
	if len(s) != 1 || r.Count(vmspan.EventStart) != 1 || r.Count(vmspan.EventEnd) != 1 {
		t.Fatalf("want exactly one start and one end named main, got %v", r.Events())
	}
	if end := endOf(r, s[0].Span.ID); end == nil || end.Result != int64(42) || s[0].SpanKind != vmspan.KindRoot {
		t.Errorf("end = %+v", end)
	}
}

func TestExpressionCallsAreUntraced(t *testing.T) {
	e, r := newEngine(t, `
function helper(x: int) -> int { x + 1 }
function add(a: int, b: int) -> int { helper(a) + b - 1 }
`)
	got, err := e.Call(context.Background(), "add", []any{3, 4})
	if err != nil || got != int64(7) {
		t.Fatalf("add(3, 4) = %v, %v", got, err)
	}
	if r.Count(vmspan.EventStart) != 1 || r.Count(vmspan.EventEnd) != 1 {
		t.Fatalf("events = %v, want only the root's start and end", r.Events())
	}
	s := starts(r, "add")[0]
	if fmt.Sprint(s.Args) != "[{a 3} {b 4}]" || endOf(r, s.Span.ID).Result != int64(7) {
		t.Errorf("root args %v result %v", s.Args, endOf(r, s.Span.ID).Result)
	}
}

func TestHostSpansThenExpressionCall(t *testing.T) {
	e, r := newEngine(t, `
function helper(x: int) -> int { x * 2 }
function compute(x: int) -> int { helper(x) + 1 }
`)
	tr := r.Tracer()
	ctx, parent := tr.Start(context.Background(), "parent")
	ctx, child := tr.Start(ctx, "child")
	if _, err := e.Call(ctx, "compute", map[string]any{"x": 5}); err != nil {
		t.Fatal(err)
	}
	child.End(nil, nil)
	parent.End(nil, nil)
	if r.Count(vmspan.EventStart) != 3 || r.Count(vmspan.EventEnd) != 3 {
		t.Fatalf("starts %d ends %d, want 3 and 3", r.Count(vmspan.EventStart), r.Count(vmspan.EventEnd))
	}
	checkBalanced(t, r)
	if c := starts(r, "child")[0]; len(c.Stack) != 2 {
		t.Errorf("child depth = %d, want 2", len(c.Stack))
	}
	root := starts(r, "compute")[0]
	if len(root.Stack) != 3 || root.Span.Parent != starts(r, "child")[0].Span.ID || root.Span.Root != starts(r, "parent")[0].Span.ID {
		t.Errorf("engine root stack %v parent %v", root.Stack, root.Span.Parent)
	}
	if len(starts(r, "helper")) != 0 {
		t.Error("helper must be absent")
	}
}

const pipelineSrc = clientSrc + `
class Ticket {
    title string
    priority int
}
function ClassifyTicket(body: string) -> Ticket {
    client Fast
    prompt #"Classify {{ body }} {{ ctx.output_format }}"#
}
function Headline(body: string) -> string {
    client Fast
    prompt #"Headline for {{ body }}"#
}
function Middle(body: string) -> string {
    let t = ClassifyTicket(body);
    Headline(body) + " / " + t.title
}
function OuterPipeline(body: string) -> string { Middle(body) }
`

func TestHostSpansThenPipeline(t *testing.T) {
	e, r := newEngine(t, pipelineSrc)
	tr := r.Tracer()
	ctx, parent := tr.Start(context.Background(), "parent")
	ctx, child := tr.Start(ctx, "child")
	got, err := e.Call(ctx, "OuterPipeline", map[string]any{"body": "b"})
	child.End(got, err)
	parent.End(nil, nil)
	if err != nil || got != "Users cannot log in / Login broken" {
		t.Fatalf("OuterPipeline = %v, %v", got, err)
	}
	if r.Count(vmspan.EventStart) != 5 || r.Count(vmspan.EventEnd) != 5 {
		t.Fatalf("starts %d ends %d, want 5 and 5", r.Count(vmspan.EventStart), r.Count(vmspan.EventEnd))
	}
	checkBalanced(t, r)
	root := starts(r, "OuterPipeline")[0]
	for _, name := range []string{"ClassifyTicket", "Headline"} {
		s := starts(r, name)[0]
		if s.Span.Parent != root.Span.ID || len(s.Stack) != 4 || s.SpanKind != vmspan.KindLLM {
			t.Errorf("%s: parent %v depth %d kind %v; want child of engine root at depth 4", name, s.Span.Parent, len(s.Stack), s.SpanKind)
		}
	}
	if len(starts(r, "Middle")) != 0 {
		t.Error("the untraced expression function Middle must be absent")
	}
}

func TestConcurrentCallsUnderOneHostSpan(t *testing.T) {
	e, r := newEngine(t, `function f(i: int) -> int { i * i }`)
	tr := vmspan.NewTracer(r)
	ctx, root := tr.Start(context.Background(), "root")
	scoped := make([]*spantest.Recorder, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		scoped[i] = new(spantest.Recorder)
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := e.Call(ctx, "f", []any{i}, engine.WithCollector(scoped[i]))
			if err != nil || got != int64(i*i) {
				t.Errorf("f(%d) = %v, %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	root.End(nil, nil)
	if r.Count(vmspan.EventStart) != 11 || r.Count(vmspan.EventEnd) != 11 {
		t.Fatalf("starts %d ends %d, want 11 and 11", r.Count(vmspan.EventStart), r.Count(vmspan.EventEnd))
	}
	rootID := starts(r, "root")[0].Span.ID
	for _, s := range starts(r, "f") {
		if s.Span.Parent != rootID {
			t.Errorf("call span parent %v, want the host root", s.Span.Parent)
		}
	}
	for i, sc := range scoped {
		if sc.Count(vmspan.EventStart) != 1 || sc.Count(vmspan.EventEnd) != 1 {
			t.Errorf("call %d's collector saw %d starts: each call has its own log", i, sc.Count(vmspan.EventStart))
		}
	}
}

const nestedSrc = clientSrc + `
function Fails(x: string) -> string {
    client Fast
    prompt #"fail {{ x }}"#
}
function Inner(x: string) -> string {
    @@trace
    Fails(x)
}
function Outer(x: string) -> string {
    @@trace
    Inner(x) + "!"
}
function Top(x: string) -> string { Outer(x) }
`

func TestErrorTwoTracedLevelsDeep(t *testing.T) {
	boom := errors.New("provider exploded")
	e, r := newEngine(t, nestedSrc, engine.WithLLM(fakeLLM(func(llm.Request) (any, error) { return nil, boom })))
	_, err := e.Call(context.Background(), "Top", map[string]any{"x": "a"})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap the provider error", err)
	}
	checkBalanced(t, r)
	if r.Count(vmspan.EventStart) != 4 {
		t.Fatalf("starts = %d, want 4 (Top, Outer, Inner, Fails)", r.Count(vmspan.EventStart))
	}
	for _, name := range []string{"Top", "Outer", "Inner", "Fails"} {
		s := starts(r, name)[0]
		end := endOf(r, s.Span.ID)
		if end == nil || end.Err == nil || !strings.Contains(end.Err.Message, "provider exploded") {
			t.Errorf("%s end = %+v, want the error", name, end)
		}
	}
	fails := starts(r, "Fails")[0]
	if len(fails.Stack) != 4 || starts(r, "Inner")[0].SpanKind != vmspan.KindExpr {
		t.Errorf("Fails depth %d", len(fails.Stack))
	}
	if end := endOf(r, fails.Span.ID); len(end.Attempts) != 1 || end.Attempts[0].Selected {
		t.Errorf("failed LLM span attempts = %+v", end.Attempts)
	}
}

// exits records the order in which traced spans end.
func endOrder(r *spantest.Recorder) []string {
	var out []string
	for _, e := range r.Events() {
		if e.Kind == vmspan.EventEnd {
			out = append(out, e.Name)
		}
	}
	return out
}

func TestRuntimeErrorThreeTracedFramesDeep(t *testing.T) {
	e, r := newEngine(t, `
function C(x: int) -> int {
    @@trace
    10 / x
}
function B(x: int) -> int {
    @@trace
    C(x) + 1
}
function A(x: int) -> int {
    @@trace
    B(x) + 1
}
function Run(x: int) -> int { A(x) }
`)
	_, err := e.Call(context.Background(), "Run", []any{0})
	var ee *vm.EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want a *vm.EvalError", err)
	}
	if got := strings.Join(endOrder(r), ","); got != "C,B,A,Run" {
		t.Errorf("end order = %s, want C,B,A,Run (innermost first)", got)
	}
	for _, name := range []string{"C", "B", "A"} {
		if end := endOf(r, starts(r, name)[0].Span.ID); end.Err == nil || end.Err.Type == "" {
			t.Errorf("%s ended without the error: %+v", name, end)
		}
	}
	checkBalanced(t, r)
	if !strings.Contains(err.Error(), "main.baml:") {
		t.Errorf("error %q lacks source positions", err)
	}
}

func TestHostFunctionPanics(t *testing.T) {
	e, r := newEngine(t, `
function Use(x: int) -> int {
    @@trace
    explode(x) + 1
}
function Run(x: int) -> int { Use(x) }
`, engine.WithHost(engine.HostFunc{Name: "explode", Params: []string{"x: int"}, Result: "int", Traced: true,
		Fn: func(ctx context.Context, args []any) (any, error) {
			if args[0].(int64) == 0 {
				panic("kaboom")
			}
			return args[0], nil
		}}))
	_, err := e.Call(context.Background(), "Run", []any{0})
	var pe *vm.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *vm.PanicError", err)
	}
	checkBalanced(t, r)
	if got := strings.Join(endOrder(r), ","); got != "explode,Use,Run" {
		t.Errorf("end order = %s", got)
	}
	// The engine keeps serving.
	if got, err := e.Call(context.Background(), "Run", []any{4}); err != nil || got != int64(5) {
		t.Errorf("after a panic: %v, %v", got, err)
	}
}

func TestCancellation(t *testing.T) {
	e, r := newEngine(t, `
function Spin() -> int {
    @@trace
    let i = 0;
    while (true) { i += 1; }
    i
}
function Run() -> int { Spin() }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.Call(ctx, "Run", nil, engine.WithCallMaxSteps(0))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	checkBalanced(t, r)
	if end := endOf(r, starts(r, "Spin")[0].Span.ID); end.Err == nil || end.Err.Type != "DeadlineExceeded" {
		t.Errorf("Spin end err = %+v", end.Err)
	}
}

func TestStepLimit(t *testing.T) {
	e, r := newEngine(t, `
function Spin() -> int {
    @@trace
    while (true) { }
    0
}
function Run() -> int { Spin() }
`, engine.WithMaxSteps(10_000))
	_, err := e.Call(context.Background(), "Run", nil)
	if !errors.Is(err, vm.ErrStepLimit) {
		t.Fatalf("err = %v, want vm.ErrStepLimit", err)
	}
	checkBalanced(t, r)
}

func TestStackOverflow(t *testing.T) {
	e, r := newEngine(t, `
function Down(n: int) -> int {
    @@trace
    Down(n + 1)
}
`, engine.WithMaxDepth(50))
	_, err := e.Call(context.Background(), "Down", []any{0})
	if !errors.Is(err, vm.ErrStackOverflow) {
		t.Fatalf("err = %v, want vm.ErrStackOverflow", err)
	}
	checkBalanced(t, r)
}

func TestUnknownFunctionStartsNoSpan(t *testing.T) {
	e, r := newEngine(t, `function f() -> int { 1 }`)
	_, err := e.Call(context.Background(), "nope", nil)
	var uf *engine.UnknownFunctionError
	if !errors.As(err, &uf) || len(r.Events()) != 0 {
		t.Fatalf("err = %v events = %d", err, len(r.Events()))
	}
}

func TestArguments(t *testing.T) {
	e, _ := newEngine(t, `
class Point {
    x int
    y int
}
function Sum(p: Point, scale: float?) -> float { (p.x + p.y) * 1.0 }
function Count(xs: string[], m: map<string, int>) -> int { xs.length() + m.length() }
`)
	ctx := context.Background()
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	for _, tc := range []struct {
		name string
		fn   string
		args any
		want any
		err  string
	}{
		{"named struct arg", "Sum", map[string]any{"p": point{1, 2}}, 3.0, ""},
		{"positional", "Sum", []any{map[string]any{"x": 2, "y": 2}, 1.5}, 4.0, ""},
		{"struct args", "Count", struct {
			Xs []string       `json:"xs"`
			M  map[string]int `json:"m"`
		}{[]string{"a", "b"}, map[string]int{"k": 1}}, int64(3), ""},
		{"missing", "Sum", map[string]any{}, nil, "missing argument p"},
		{"unknown", "Sum", map[string]any{"p": point{}, "q": 1}, nil, "unknown argument q"},
		{"count", "Sum", []any{}, nil, "want 2 arguments, got 0"},
		{"type", "Count", []any{"no", map[string]any{}}, nil, "argument xs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Call(ctx, tc.fn, tc.args)
			if tc.err != "" {
				var ae *engine.ArgError
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ArgError containing %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v (%T), %v; want %v", got, got, err, tc.want)
			}
		})
	}
}

func TestCallAs(t *testing.T) {
	e, _ := newEngine(t, pipelineSrc)
	type ticket struct {
		Title    string `json:"title"`
		Priority int    `json:"priority"`
	}
	got, err := engine.CallAs[ticket](context.Background(), e, "ClassifyTicket", map[string]any{"body": "x"})
	if err != nil || got != (ticket{"Login broken", 1}) {
		t.Fatalf("CallAs = %+v, %v", got, err)
	}
}

func TestHostFunctionSeesSpanAndNestedCall(t *testing.T) {
	var e *engine.Engine
	var sawSpan string
	sc := new(spantest.Recorder)
	host := engine.HostFunc{Name: "lookup", Params: []string{"k: string"}, Result: "int", Traced: true,
		Fn: func(ctx context.Context, args []any) (any, error) {
			sawSpan = vmspan.SpanFromContext(ctx).Name()
			// Attaching the outer call's collector again must not duplicate events.
			return e.Call(ctx, "Leaf", []any{args[0]}, engine.WithCollector(sc))
		}}
	e, r := newEngine(t, `
function Leaf(k: string) -> int { k.length() }
function Run(k: string) -> int { lookup(k) * 2 }
`, engine.WithHost(host))
	got, err := e.Call(context.Background(), "Run", []any{"abc"}, engine.WithCollector(sc))
	if err != nil || got != int64(6) {
		t.Fatalf("Run = %v, %v", got, err)
	}
	if sawSpan != "lookup" {
		t.Errorf("host function ctx span = %q, want its own span", sawSpan)
	}
	checkBalanced(t, r)
	// The nested call's root is a child of the host function span, and the
	// collector of the outer call sees it.
	leaf := starts(r, "Leaf")
	if len(leaf) != 1 || leaf[0].Span.Parent != starts(r, "lookup")[0].Span.ID {
		t.Fatalf("nested Leaf span = %+v", leaf)
	}
	if sc.Count(vmspan.EventStart) != 3 || sc.Count(vmspan.EventEnd) != 3 {
		t.Errorf("collector saw %d starts and %d ends, want 3 and 3 (Run, lookup, Leaf), each once",
			sc.Count(vmspan.EventStart), sc.Count(vmspan.EventEnd))
	}
}

func TestNoListenerNoEvents(t *testing.T) {
	p := engine.MustParse(map[string]string{"m.baml": `function f(x: int) -> int {
    @@trace
    x
}`})
	e, err := engine.New(p, engine.WithTracer(vmspan.NewTracer(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.Call(context.Background(), "f", []any{1}); err != nil || got != int64(1) {
		t.Fatal(got, err)
	}
	// With nobody listening, a traced function costs what an untraced one
	// does: no spans, no snapshots, no events.
	e2, _ := newEngine(t, benchSrc, engine.WithTracer(vmspan.NewTracer(nil)))
	allocs := func(fn string) float64 {
		return testing.AllocsPerRun(20, func() { _, _ = e2.Call(context.Background(), fn, []any{1000}) })
	}
	if traced, plain := allocs("LoopTraced"), allocs("LoopPlain"); traced != plain {
		t.Errorf("1000 traced calls with no sink allocate %v times, untraced %v", traced, plain)
	}
}

func TestCompileErrorsHavePositions(t *testing.T) {
	p := engine.MustParse(map[string]string{"bad.baml": `function f() -> Nope { g(1) }`})
	_, err := engine.New(p)
	if err == nil || !strings.Contains(err.Error(), "bad.baml:1:") {
		t.Fatalf("err = %v, want positioned compile errors", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	e, r := newEngine(t, pipelineSrc)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Call(context.Background(), "OuterPipeline", []any{fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	checkBalanced(t, r)
	if n := len(starts(r, "OuterPipeline")); n != 100 {
		t.Fatalf("roots = %d", n)
	}
	roots := map[vmspan.SpanID]bool{}
	for _, s := range starts(r, "OuterPipeline") {
		roots[s.Span.ID] = true
	}
	for _, s := range starts(r, "Headline") {
		if !roots[s.Span.Parent] || s.Span.Root != s.Span.Parent {
			t.Errorf("Headline parented to %v", s.Span.Parent)
		}
	}
}

// TestSecretArgumentsOfTracedFrames checks that a traced frame's
// secret-named arguments reach its events redacted, the others intact.
func TestSecretArgumentsOfTracedFrames(t *testing.T) {
	e, rec := newEngine(t, `
function Login(user: string, api_key: string) -> string {
    @@trace
    user
}
function Main() -> string { Login("ann", "sk-very-secret") }
`)
	if _, err := e.Call(context.Background(), "Main", nil); err != nil {
		t.Fatal(err)
	}
	starts := starts(rec, "Login")
	if len(starts) != 1 {
		t.Fatalf("%d Login spans", len(starts))
	}
	for _, ev := range []*vmspan.Event{&starts[0], endOf(rec, starts[0].Span.ID)} {
		want := []vmspan.Arg{{Name: "user", Value: "ann"}, {Name: "api_key", Value: vmspan.Redacted}}
		if !reflect.DeepEqual(ev.Args, want) {
			t.Errorf("%s event args = %v, want %v", ev.Kind, ev.Args, want)
		}
	}
}
