//go:build unix

package bench

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/runtime/engine"
)

const (
	scaleCollectors = 1000
	callsPerColl    = 10 // 10 calls of 100 events: 1,000 events per Collector
	scaleEvents     = scaleCollectors * callsPerColl * batchEvents
	readCalls       = 10_000 // 10,000 calls of 100 events: a 1M-event trace file
)

// BenchmarkScale measures memory at scale.
//
//   - collectors: 1,000 Collectors open at once, each attached to ten
//     Batch calls (a root and 49 traced children: 100 events), 1M events
//     in all; the heap growth after a full collection, in total and per
//     event, and the cost per event. Closing the Collectors must release
//     every event.
//   - read: a trace file of 1M events (10,000 Batch calls, written by
//     jsonl.Open into $BENCH_DIR or the temporary directory) read back by
//     jsonl.ReadFile; the peak heap while reading, sampled every
//     millisecond (all objects, and the live heap as of the last
//     collection), beside the heap before reading and the file's size.
func BenchmarkScale(b *testing.B) {
	// Drop the events BenchmarkJSONL recorded, so that the heap figures are
	// this benchmark's own.
	eventsOnce, events = sync.Once{}, nil
	b.Run("collectors", benchCollectors)
	b.Run("read", benchRead)
}

func benchCollectors(b *testing.B) {
	e := newEngine(b, eventSource, nil)
	ctx := context.Background()
	var cost, cpu time.Duration
	var growth uint64
	for b.Loop() {
		b.StopTimer()
		base, retained := heapBytes(), collector.Retained()
		cs := make([]*collector.Collector, scaleCollectors)
		for i := range cs {
			cs[i] = collector.New("bench")
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		for range callsPerColl {
			for _, c := range cs {
				if _, err := e.Call(ctx, "Batch", []any{batchItems}, engine.WithCollector(c)); err != nil {
					b.Fatal(err)
				}
			}
		}
		cost += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		growth += heapBytes() - base
		if n := collector.Retained() - retained; n != scaleEvents {
			b.Fatalf("Collectors retain %d events, want %d", n, scaleEvents)
		}
		for _, c := range cs {
			c.Close()
		}
		if n := collector.Retained() - retained; n != 0 {
			b.Fatalf("%d events still retained after Close", n)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(growth)/n/1e6, "heap-MB")
	b.ReportMetric(float64(growth)/n/scaleEvents, "B/event")
	b.ReportMetric(float64(cost.Nanoseconds())/n/scaleEvents, "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/n/scaleEvents, "cpu-ns/event")
}

func benchRead(b *testing.B) {
	path := filepath.Join(benchDir(b), "trace.jsonl")
	writeTrace(b, path, readCalls)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var peak, live, base uint64
	var wall, cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		base = max(base, heapBytes())
		b.StartTimer()
		p := startHeapPeak()
		start, cpu0 := time.Now(), cpuTime()
		n := 0
		for _, err := range jsonl.ReadFile(path) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		wall += time.Since(start)
		cpu += cpuTime() - cpu0
		h, l := p.Stop()
		peak, live = max(peak, h), max(live, l)
		if n != readCalls*batchEvents {
			b.Fatalf("read %d events, want %d", n, readCalls*batchEvents)
		}
	}
	events := float64(b.N * readCalls * batchEvents)
	b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(live)/1e6, "peak-live-MB")
	b.ReportMetric(float64(base)/1e6, "base-heap-MB")
	b.ReportMetric(events/wall.Seconds(), "events/s")
	b.ReportMetric(events/cpu.Seconds(), "cpu-events/s")
}
