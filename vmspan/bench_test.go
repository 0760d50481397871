package vmspan

import (
	"context"
	"testing"
	"time"
)

var sinkID SpanID

// BenchmarkNewID measures one UUID v7, made three times per span.
func BenchmarkNewID(b *testing.B) {
	t := time.Now().UnixNano()
	for b.Loop() {
		sinkID = newV7(t)
	}
}

// BenchmarkTracedSpan is the tracer's share of a traced call: a traced
// frame's span with one argument and a result, started and ended by a
// FrameTracker into a sink that keeps nothing. The engine adds the VM's call and its own bookkeeping
// (see runtime/engine's BenchmarkTracedCall).
func BenchmarkTracedSpan(b *testing.B) {
	tr := NewTracer(Discard)
	ft := NewFrameTracker(context.Background(), tr.StartSpan(context.Background(), "root", StartConfig{Kind: KindRoot}))
	defer ft.End(nil, nil)
	f := &Frame{Depth: 2, Name: "Traced", Kind: KindExpr, Args: make([]Arg, 1)}
	b.ReportAllocs()
	for i := int64(1000); b.Loop(); i++ {
		f.Args[0] = Arg{Name: "x", Value: i}
		ft.EnterFrame(f)
		ft.ExitFrame(2, i, nil)
	}
}
