package vmspan

import (
	"context"
	"testing"
	"time"
)

var (
	sinkTime time.Time
	sinkID   SpanID
)

// BenchmarkClock compares the default clock (an anchor plus the time since
// it, from the timestamp counter or the monotonic clock) with time.Now; the
// tracer reads the clock twice per span.
func BenchmarkClock(b *testing.B) {
	b.Run("default", func(b *testing.B) {
		for b.Loop() {
			sinkTime = now()
		}
	})
	b.Run("stamp", func(b *testing.B) { // what the tracer reads: a stamp and its time.Time
		for b.Loop() {
			st := nowStamp()
			sinkTime = time.Unix(0, st.wall)
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			sinkTime = time.Now()
		}
	})
}

// BenchmarkNewID measures one UUID v7, made three times per span.
func BenchmarkNewID(b *testing.B) {
	t := time.Now().UnixNano()
	for b.Loop() {
		sinkID = newV7(t)
	}
}

// BenchmarkTracedSpan is the tracer's share of a traced call: a child
// span with one argument and a result, started and ended into a sink that
// keeps nothing. The engine adds the VM's call and its own bookkeeping
// (see runtime/engine's BenchmarkTracedCall).
func BenchmarkTracedSpan(b *testing.B) {
	tr := NewTracer(Discard)
	root := tr.StartSpan(context.Background(), "root", StartConfig{Kind: KindRoot})
	defer root.EndSnapshot(nil, nil)
	args := make([]Arg, 1)
	b.ReportAllocs()
	for i := int64(1000); b.Loop(); i++ {
		args[0] = Arg{Name: "x", Value: i}
		c := root.StartChild("Traced", KindExpr, args)
		c.EndSnapshot(i, nil)
	}
}
