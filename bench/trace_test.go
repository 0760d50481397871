//go:build unix

package bench

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
)

// traceSource is the program of the tracing benchmarks: fib (untraced
// expression calls) and loops that call a traced or an untraced function
// once per iteration.
const traceSource = `
function fib(n: int) -> int {
    if n < 2 { return n; }
    fib(n - 1) + fib(n - 2)
}
function Traced(x: int) -> int {
    @@trace
    x
}
function Plain(x: int) -> int { x }
function LoopTraced(n: int) -> int {
    let i = 0;
    while (i < n) { Traced(i); i += 1; }
    i
}
function LoopPlain(n: int) -> int {
    let i = 0;
    while (i < n) { Plain(i); i += 1; }
    i
}
`

// discard is a sink that keeps nothing: the native store with no
// Collector attached.
var discard = vmspan.Discard

// retaining is a sink that keeps nothing but does not say so (it is not a
// vmspan.Retainer), so the engine must assume it keeps events.
var retaining = vmspan.SinkFunc(func(*vmspan.Event) {})

func newEngine(tb testing.TB, src string, sink vmspan.Sink) *engine.Engine {
	e, err := engine.New(engine.MustParse(map[string]string{"bench.baml": src}),
		engine.WithTracer(vmspan.NewTracer(sink)), engine.WithMaxSteps(0))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// BenchmarkUntracedFib27 runs fib(27) through engine.Call: about 630,000
// untraced expression calls under one root span. no-sink (nobody
// listens), discard-sink (a sink that keeps nothing) and collector (a
// Collector attached to the call) run in the normal build; compiled-out
// runs in the build with the tag bexnotrace, whose VM has no hook checks
// in its call path (SPEC §7: no-sink must be within 3% of compiled-out).
func BenchmarkUntracedFib27(b *testing.B) {
	if tracingCompiledOut {
		b.Run("compiled-out", func(b *testing.B) { benchEngineFib(b, nil, false) })
		return
	}
	b.Run("no-sink", func(b *testing.B) { benchEngineFib(b, nil, false) })
	b.Run("discard-sink", func(b *testing.B) { benchEngineFib(b, discard, false) })
	b.Run("collector", func(b *testing.B) { benchEngineFib(b, nil, true) })
}

// BenchmarkLayoutLoop10M is the control of BenchmarkUntracedFib27: the
// 10M-iteration loop, which makes no call and so executes the same
// instructions whether tracing is compiled in (compiled-in) or out
// (compiled-out, tag bexnotrace). Whatever CPU time separates the two
// builds here comes from where the compiler placed their code, not from
// tracing, and it moves UntracedFib27's ratio as much.
func BenchmarkLayoutLoop10M(b *testing.B) {
	impl := "compiled-in"
	if tracingCompiledOut {
		impl = "compiled-out"
	}
	b.Run(impl, func(b *testing.B) { benchBex(b, "loop", nil, loopWant) })
}

func benchEngineFib(b *testing.B, sink vmspan.Sink, withCollector bool) {
	e := newEngine(b, traceSource, sink)
	ctx := context.Background()
	args := []any{fibN}
	var opts []engine.CallOption
	if withCollector {
		c := collector.New("bench")
		defer c.Close()
		opts = append(opts, engine.WithCollector(c))
	}
	measure(b, func() {
		v, err := e.Call(ctx, "fib", args, opts...)
		if err != nil || v != int64(fibWant) {
			b.Fatalf("got %v, %v", v, err)
		}
	})
}

// BenchmarkTracedCall measures one traced call: the start and end events
// of a @@trace function with one argument and a result, into a sink that
// keeps nothing (SPEC §7: ≤ 300 ns and ≤ 3 allocations). Beside it:
//
//   - untraced: the same loop calling an untraced function, the VM's own
//     share of the figure (call, return and loop instructions);
//   - retaining: bex with a sink that may retain events (any sink that
//     does not implement vmspan.Retainer): the span's memory cannot be
//     reused, so each traced call allocates it;
//   - vmspan: a vmspan.FrameTracker's EnterFrame and ExitFrame alone,
//     the tracer's share;
//   - otel-sdk: the OpenTelemetry SDK's tracer.Start and span.End with a
//     batch span processor and an exporter that keeps nothing;
//   - otel-sdk-attrs: the same with the argument and the result recorded
//     as attributes, as bex records them.
func BenchmarkTracedCall(b *testing.B) {
	b.Run("bex", func(b *testing.B) { benchLoop(b, "LoopTraced", discard) })
	b.Run("retaining", func(b *testing.B) { benchLoop(b, "LoopTraced", retaining) })
	b.Run("untraced", func(b *testing.B) { benchLoop(b, "LoopPlain", discard) })
	b.Run("vmspan", benchVMSpan)
	b.Run("otel-sdk", func(b *testing.B) { benchSDKSpan(b, false) })
	b.Run("otel-sdk-attrs", func(b *testing.B) { benchSDKSpan(b, true) })
}

// benchLoop runs fn(b.N) once, so that one op is one iteration of a bex
// loop: a call plus the loop's own instructions.
func benchLoop(b *testing.B, fn string, sink vmspan.Sink) {
	e := newEngine(b, traceSource, sink)
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	v, err := e.Call(context.Background(), fn, []any{b.N})
	b.StopTimer()
	reportCPU(b, cpu, b.N)
	if err != nil || v != int64(b.N) {
		b.Fatalf("got %v, %v", v, err)
	}
}

func benchVMSpan(b *testing.B) {
	tr := vmspan.NewTracer(discard)
	frames := vmspan.NewFrameTracker(context.Background(), tr.StartSpan(context.Background(), "LoopTraced", vmspan.StartConfig{Kind: vmspan.KindRoot}))
	defer frames.End(nil, nil)
	f := &vmspan.Frame{Depth: 2, Name: "Traced", Kind: vmspan.KindExpr, Args: make([]vmspan.Arg, 1)}
	b.ReportAllocs()
	measure(b, func() {
		f.Args[0] = vmspan.Arg{Name: "x", Value: int64(1000)}
		frames.EnterFrame(f)
		frames.ExitFrame(2, int64(1000), nil)
	})
}

// countExporter counts the spans it is given and keeps none.
type countExporter struct{ n atomic.Int64 }

func (e *countExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(spans)))
	return nil
}

func (e *countExporter) Shutdown(context.Context) error { return nil }

// benchSDKSpan measures tracer.Start and span.End of the OTel SDK with its
// default batch span processor. The processor drops spans when its queue
// is full, which makes those spans cheaper: the share dropped is reported.
func benchSDKSpan(b *testing.B, attrs bool) {
	exp := &countExporter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	tracer := tp.Tracer("bench")
	ctx, root := tracer.Start(context.Background(), "LoopTraced")
	b.ReportAllocs()
	i := int64(0)
	measure(b, func() {
		i++
		if !attrs {
			_, s := tracer.Start(ctx, "Traced")
			s.End()
			return
		}
		_, s := tracer.Start(ctx, "Traced", trace.WithAttributes(attribute.Int64("x", i)))
		s.SetAttributes(attribute.Int64("result", i))
		s.End()
	})
	b.StopTimer()
	root.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(1-float64(exp.n.Load())/float64(b.N+1), "dropped-share")
}
