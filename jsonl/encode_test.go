package jsonl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	workload(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := readGolden(t, "trace.golden.jsonl", buf.Bytes())
	if !bytes.Equal(buf.Bytes(), want) {
		gl, wl := strings.Split(buf.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("got %d lines, want %d", len(gl), len(wl))
	}
}

// TestKeysSorted checks every object of every golden line for sorted,
// unique keys, and that each line is valid JSON.
func TestKeysSorted(t *testing.T) {
	var buf bytes.Buffer
	workload(vmspan.SinkFunc(func(e *vmspan.Event) { buf.Write(AppendEvent(nil, e)) }))
	for i, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if !json.Valid(line) {
			t.Fatalf("line %d is not valid JSON: %s", i+1, line)
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := checkSorted(dec); err != nil {
			t.Errorf("line %d: %v", i+1, err)
		}
	}
}

// checkSorted reads one value from dec and checks its objects' keys.
func checkSorted(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		var prev string
		for n := 0; dec.More(); n++ {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if n > 0 && key <= prev {
				return fmt.Errorf("key %q after %q", key, prev)
			}
			prev = key
			if err := checkSorted(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for dec.More() {
			if err := checkSorted(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// TestRoundTrip writes a trace and reads it back: every field of every
// event must come back.
func TestRoundTrip(t *testing.T) {
	rec := new(spantest.Recorder)
	var buf bytes.Buffer
	w := NewWriter(&buf)
	workload(vmspan.Fanout(rec, w))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, buf.Bytes())
	want := rec.Events()
	for i := range want { // the one lossy case: invalid UTF-8
		want[i].Name = strings.ToValidUTF8(want[i].Name, "\ufffd")
	}
	equalEvents(t, want, got)
}

// benchEvents returns the events of a typical engine call (a root span
// with two arguments and a tag, under no host span), start and end.
func benchEvents() []vmspan.Event {
	rec := new(spantest.Recorder)
	tr := newTracer(rec)
	root := tr.StartSpan(context.Background(), "Score", vmspan.StartConfig{Kind: vmspan.KindRoot,
		Args: []vmspan.Arg{{Name: "a", Value: int64(3)}, {Name: "body", Value: "printer on fire"}}})
	root.SetTags("env", "prod")
	vmspan.NewFrameTracker(context.Background(), root).End(int64(31), nil)
	events := rec.Events()
	return []vmspan.Event{events[0], events[2]}
}

// BenchmarkEncode measures AppendEvent on one core. The events/s metric is
// what SPEC §7 budgets (at least 1M events/s).
func BenchmarkEncode(b *testing.B) {
	rec := new(spantest.Recorder)
	workload(rec)
	i := slices.IndexFunc(rec.Events(), func(e vmspan.Event) bool { return len(e.Attempts) == 2 })
	cases := []struct {
		name   string
		events []vmspan.Event
	}{
		{"call", benchEvents()},                      // start and end of a typical call
		{"workload", rec.Events()},                   // every line of the golden trace
		{"llm-end", []vmspan.Event{rec.Events()[i]}}, // two attempts with messages and HTTP records
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			size := 0
			b.ReportAllocs()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				buf = AppendEvent(buf[:0], &c.events[i%len(c.events)])
				size += len(buf)
			}
			b.SetBytes(int64(size / max(b.N, 1)))
			reportRate(b, cpu)
		})
	}
}

func BenchmarkWriter(b *testing.B) {
	rec := new(spantest.Recorder)
	workload(rec)
	events := benchEvents()
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		w.Emit(&events[i%2])
	}
	w.Close()
	reportRate(b, cpu)
}

func BenchmarkWriterParallel(b *testing.B) {
	rec := new(spantest.Recorder)
	workload(rec)
	e := benchEvents()[0]
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Emit(&e)
		}
	})
	w.Close()
	reportRate(b, cpu)
}

// reportRate reports events per wall-clock second and, where measured,
// CPU nanoseconds per event and events per CPU second (on a shared machine
// the CPU figures are the reliable ones).
func reportRate(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}
