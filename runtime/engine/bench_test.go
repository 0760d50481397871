package engine_test

import (
	"context"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
)

const benchSrc = `
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

// benchLoop runs fn(n) once with b.N iterations inside bex, so the figure
// is the cost of one iteration: a call plus the loop's own instructions.
func benchLoop(b *testing.B, fn string, sink vmspan.Sink) {
	e, err := engine.New(engine.MustParse(map[string]string{"b.baml": benchSrc}), engine.WithTracer(vmspan.NewTracer(sink)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := e.Call(context.Background(), fn, []any{b.N}, engine.WithCallMaxSteps(0)); err != nil {
		b.Fatal(err)
	}
}

var discard = vmspan.Discard

// BenchmarkTracedCall is one traced call (start and end events into a sink
// that keeps nothing, as the native store does without a Collector).
func BenchmarkTracedCall(b *testing.B) { benchLoop(b, "LoopTraced", discard) }

// BenchmarkUntracedCallWithSink is an untraced call while a sink listens:
// it must cost what it costs with no sink at all.
func BenchmarkUntracedCallWithSink(b *testing.B) { benchLoop(b, "LoopPlain", discard) }

// BenchmarkUntracedCallNoSink is the baseline of the two above.
func BenchmarkUntracedCallNoSink(b *testing.B) { benchLoop(b, "LoopPlain", nil) }

// BenchmarkTracedCallNoSink is a @@trace function with nobody listening.
func BenchmarkTracedCallNoSink(b *testing.B) { benchLoop(b, "LoopTraced", nil) }
