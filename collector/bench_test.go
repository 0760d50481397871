package collector_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/vmspan"
)

// BenchmarkManyCollectors keeps 1,000 Collectors open, each holding one
// call of a root and 49 traced children with an argument and a result
// (100 events), and reports the heap they hold per event, measured after a
// full collection. bench/run.sh runs the same at 1M events.
func BenchmarkManyCollectors(b *testing.B) {
	const collectors, children = 1000, 49
	tr := vmspan.NewTracer(nil)
	ctx := context.Background()
	item := &vmspan.Frame{Depth: 2, Name: "Item", Kind: vmspan.KindExpr, Args: []vmspan.Arg{{Name: "item", Value: "item number 7"}}}
	var growth uint64
	for b.Loop() {
		b.StopTimer()
		base := heapBytes()
		cs := make([]*collector.Collector, collectors)
		for i := range cs {
			cs[i] = collector.New("bench")
		}
		b.StartTimer()
		for _, c := range cs {
			ft := vmspan.NewFrameTracker(ctx, tr.StartSpan(ctx, "Batch", vmspan.StartConfig{Kind: vmspan.KindRoot, Sinks: []vmspan.Sink{c}}))
			for i := range children {
				ft.EnterFrame(item)
				ft.ExitFrame(2, int64(1000+i), nil)
			}
			ft.End(int64(children), nil)
		}
		b.StopTimer()
		growth += heapBytes() - base
		for _, c := range cs {
			if c.Stats().Events != 2*(children+1) {
				b.Fatalf("a Collector holds %d events", c.Stats().Events)
			}
			c.Close()
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(growth)/float64(b.N*collectors*2*(children+1)), "heap-B/event")
}

// heapBytes returns the bytes of live objects after a full collection.
func heapBytes() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
