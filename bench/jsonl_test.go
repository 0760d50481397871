//go:build unix

package bench

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// eventSource is the program whose events the JSONL and scale benchmarks
// use: a call of Batch is a root span with 49 traced children, each with
// a string and an int argument and a result: 100 events.
const eventSource = `
function Item(name: string, i: int) -> int {
    @@trace
    name.length() + i * 2
}
function Batch(n: int) -> int {
    let sum = 0;
    let i = 0;
    while (i < n) { sum += Item("item number " + i.to_string(), i); i += 1; }
    sum
}
`

const (
	batchItems  = 49  // children per call
	batchEvents = 100 // events per call: (1 + batchItems) * 2
)

var (
	eventsOnce sync.Once
	events     []vmspan.Event // 100,000 recorded events of Batch calls
)

// recordedEvents returns 100,000 events of 1,000 Batch calls, recorded once.
func recordedEvents(b *testing.B) []vmspan.Event {
	eventsOnce.Do(func() {
		rec := new(spantest.Recorder)
		e := newEngine(b, eventSource, rec)
		for range 1000 {
			if _, err := e.Call(context.Background(), "Batch", []any{batchItems}); err != nil {
				b.Fatal(err)
			}
		}
		events = rec.Events()
	})
	return events
}

// BenchmarkJSONL measures trace files on one core.
//
//   - encode: jsonl.AppendEvent of one event (the events of Batch calls in
//     turn) into a reused buffer; events/s, MB/s and the same per CPU
//     second (SPEC §7: at least 1M events/s);
//   - file: every op writes the 100,000 recorded events to a new file, once
//     through a jsonl.Writer from jsonl.Open (64 KiB writes) and Flush, which
//     syncs the file (writer:), and once as the same bytes, already encoded,
//     written with os.File.Write in 1 MiB chunks and File.Sync (raw:), in
//     turn so that both see the same machine and disk load. Files go to
//     $BENCH_DIR or the temporary directory.
func BenchmarkJSONL(b *testing.B) {
	evs := recordedEvents(b)
	b.Run("encode", func(b *testing.B) { benchEncode(b, evs) })
	b.Run("file", func(b *testing.B) { benchFile(b, evs) })
}

func benchEncode(b *testing.B, evs []vmspan.Event) {
	var buf []byte
	size := 0
	b.ReportAllocs()
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		buf = jsonl.AppendEvent(buf[:0], &evs[i%len(evs)])
		size += len(buf)
	}
	cpuSec := (cpuTime() - cpu).Seconds()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(b.N)/cpuSec, "cpu-events/s")
	b.ReportMetric(float64(size)/1e6/cpuSec, "cpu-MB/s")
	b.ReportMetric(float64(size)/float64(b.N), "B/event")
}

func benchFile(b *testing.B, evs []vmspan.Event) {
	dir := benchDir(b)
	var raw []byte
	for i := range evs {
		raw = jsonl.AppendEvent(raw, &evs[i])
	}
	var w, r fileCost
	for b.Loop() {
		w.add(b, filepath.Join(dir, "writer.jsonl"), int64(len(raw)), func(path string) error {
			return writeEvents(path, evs)
		})
		r.add(b, filepath.Join(dir, "raw.jsonl"), int64(len(raw)), func(path string) error {
			return writeRaw(path, raw)
		})
	}
	w.report(b, "writer", len(evs))
	r.report(b, "raw", len(evs))
}

// writeEvents writes evs through a jsonl.Writer and flushes (syncs) it.
func writeEvents(path string, evs []vmspan.Event) error {
	w, err := jsonl.Open(path)
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
}

// writeRaw writes data in 1 MiB chunks and syncs the file.
func writeRaw(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for len(data) > 0 {
		n := min(len(data), 1<<20)
		if _, err := f.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

type fileCost struct {
	wall, cpu time.Duration
	bytes     int64
	n         int
}

// add runs write once into a new file at path, checks that it holds size
// bytes, and removes it.
func (c *fileCost) add(b *testing.B, path string, size int64, write func(string) error) {
	start, cpu := time.Now(), cpuTime()
	if err := write(path); err != nil {
		b.Fatal(err)
	}
	c.wall += time.Since(start)
	c.cpu += cpuTime() - cpu
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != size {
		b.Fatalf("%s: %v bytes, want %d (%v)", path, fi.Size(), size, err)
	}
	if err := os.Remove(path); err != nil {
		b.Fatal(err)
	}
	c.bytes += size
	c.n++
}

func (c *fileCost) report(b *testing.B, name string, events int) {
	sec, cpuSec := c.wall.Seconds(), c.cpu.Seconds()
	b.ReportMetric(float64(c.bytes)/1e6/sec, name+":MB/s")
	b.ReportMetric(float64(events*c.n)/sec, name+":events/s")
	b.ReportMetric(float64(c.bytes)/1e6/cpuSec, name+":cpu-MB/s")
}

// writeTrace writes calls Batch calls (100 events each) to a trace file at
// path through jsonl.Open, as a traced program would.
func writeTrace(b *testing.B, path string, calls int) {
	w, err := jsonl.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	e := newEngine(b, eventSource, w)
	for range calls {
		if _, err := e.Call(context.Background(), "Batch", []any{batchItems}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if s := w.Stats(); s.Dropped != 0 || s.Events != int64(calls*batchEvents) {
		b.Fatalf("writer stats %+v", s)
	}
}
