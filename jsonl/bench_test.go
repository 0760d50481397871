package jsonl

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const fileEvents = 100_000

// traceEvents returns n events of calls made of a root span and 49 traced
// children, each with a string and an int argument and a result.
func traceEvents(n int) []vmspan.Event {
	rec := new(spantest.Recorder)
	tr := vmspan.NewTracer(rec)
	ctx := context.Background()
	args := []vmspan.Arg{{Name: "name", Value: "item number 7"}, {Name: "i", Value: int64(7)}}
	item := &vmspan.Frame{Depth: 2, Name: "Item", Kind: vmspan.KindExpr, Args: args}
	for made := 0; made < n; made += 100 { // a call is 100 events
		frames := vmspan.NewFrameTracker(ctx, tr.StartSpan(ctx, "Batch", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: args[1:]}))
		for i := range 49 {
			frames.EnterFrame(item)
			frames.ExitFrame(2, int64(20+2*i), nil)
		}
		frames.End(int64(3000), nil)
	}
	return rec.Events()[:n]
}

// BenchmarkFile writes 100,000 events to a file per op, through a Writer
// from Open and Flush (which syncs), and as the same bytes written with
// os.File.Write in 1 MiB chunks and Sync: the flush throughput beside the
// file system's raw sequential write speed (SPEC §7).
func BenchmarkFile(b *testing.B) {
	evs := traceEvents(fileEvents)
	var raw []byte
	for i := range evs {
		raw = AppendEvent(raw, &evs[i])
	}
	path := filepath.Join(b.TempDir(), "trace.jsonl")
	b.Run("writer", func(b *testing.B) {
		benchWrite(b, path, len(raw), func() error {
			w, err := Open(path)
			if err != nil {
				return err
			}
			for _, e := range evs {
				w.Emit(&e)
			}
			if err := w.Flush(context.Background()); err != nil {
				return err
			}
			return w.Close()
		})
	})
	b.Run("raw", func(b *testing.B) {
		benchWrite(b, path, len(raw), func() error { return writeChunks(path, raw) })
	})
}

func benchWrite(b *testing.B, path string, size int, write func() error) {
	b.SetBytes(int64(size))
	cpu := cpuTime()
	for b.Loop() {
		if err := write(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if fi, err := os.Stat(path); err != nil || fi.Size() != int64(size) {
			b.Fatalf("file: %v, want %d bytes", err, size)
		}
		os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*fileEvents)/b.Elapsed().Seconds(), "events/s")
	if d := cpuTime() - cpu; d > 0 {
		b.ReportMetric(float64(b.N*size)/1e6/d.Seconds(), "cpu-MB/s")
	}
}

// writeChunks writes data to a new file at path in 1 MiB chunks and syncs it.
func writeChunks(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	for len(data) > 0 && err == nil {
		n := min(len(data), 1<<20)
		_, err = f.Write(data[:n])
		data = data[n:]
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// BenchmarkReadFile reads a file of 100,000 events and reports the peak
// heap while reading, sampled every millisecond: the heap (objects live or
// not yet collected) and the live heap measured by the last collection.
// The reader's memory is bounded by its longest line and the spans open at
// a point, not by the file's size (MB/s gives it per op).
func BenchmarkReadFile(b *testing.B) {
	evs := traceEvents(fileEvents)
	var raw []byte
	for i := range evs {
		raw = AppendEvent(raw, &evs[i])
	}
	path := filepath.Join(b.TempDir(), "trace.jsonl")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	evs, raw = nil, nil
	runtime.GC()
	var peak, live uint64
	for b.Loop() {
		stop := samplePeak(&peak, &live)
		n := 0
		for _, err := range ReadFile(path) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		stop()
		if n != fileEvents {
			b.Fatalf("read %d events", n)
		}
	}
	b.ReportMetric(float64(b.N*fileEvents)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(live)/1e6, "peak-live-MB")
}

// samplePeak records the largest heap (live and unswept objects) in *peak
// and the largest live heap (as of the last collection) in *live, sampled
// every millisecond until the returned stop is called.
func samplePeak(peak, live *uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			*live = max(*live, s[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
