package spantest

import (
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// faulty records every event through a Recorder, passing it through a
// fault first.
type faulty struct {
	Recorder
	fault func(e vmspan.Event) []vmspan.Event
}

func (f *faulty) Emit(ep *vmspan.Event) {
	out := []vmspan.Event{*ep}
	if f.fault != nil {
		out = f.fault(*ep)
	}
	for i := range out {
		f.Recorder.Emit(&out[i])
	}
}

func recorderHarness(fault func(vmspan.Event) []vmspan.Event) Harness {
	return Harness{
		New: func(t *testing.T) vmspan.Sink {
			if fault == nil {
				return new(Recorder)
			}
			return &faulty{fault: fault}
		},
		Result: func(t *testing.T, s vmspan.Sink) ([]Span, error) {
			if f, ok := s.(*faulty); ok {
				return f.Spans(), nil
			}
			return s.(*Recorder).Spans(), nil
		},
	}
}

func TestRecorderConforms(t *testing.T) {
	Run(t, recorderHarness(nil))
}

// TestChecksFindFaults runs every workload through sinks with one fault each
// and expects the checks to notice.
func TestChecksFindFaults(t *testing.T) {
	faults := []struct {
		name  string
		fault func(e vmspan.Event) []vmspan.Event
	}{
		{"DropsEnds", func(e vmspan.Event) []vmspan.Event {
			if e.Kind == vmspan.EventEnd {
				return nil
			}
			return []vmspan.Event{e}
		}},
		{"Duplicates", func(e vmspan.Event) []vmspan.Event { return []vmspan.Event{e, e} }},
		{"LosesParent", func(e vmspan.Event) []vmspan.Event {
			e.Span.Parent = vmspan.SpanID{}
			return []vmspan.Event{e}
		}},
		{"LosesErrors", func(e vmspan.Event) []vmspan.Event {
			e.Err = nil
			return []vmspan.Event{e}
		}},
		{"LosesTags", func(e vmspan.Event) []vmspan.Event {
			e.Tags = nil
			return []vmspan.Event{e}
		}},
		{"LosesAttempts", func(e vmspan.Event) []vmspan.Event {
			e.Attempts = nil
			return []vmspan.Event{e}
		}},
		{"ShiftsTime", func(e vmspan.Event) []vmspan.Event {
			if e.Kind == vmspan.EventEnd && e.Span.Parent.IsZero() {
				e.Time = e.Start
			}
			return []vmspan.Event{e}
		}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			h := recorderHarness(f.fault)
			found := 0
			for _, w := range workloads {
				sink := h.New(t)
				w.run(vmspan.NewTracer(sink, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(StepClock())))
				spans, _ := h.Result(t, sink)
				found += len(check(h, w.want, spans))
			}
			if found == 0 {
				t.Errorf("no check noticed the fault")
			}
		})
	}
}

func TestFromEventsMergesSetTags(t *testing.T) {
	tr, r := NewTracer(vmspan.WithClock(StepClock()))
	s := tr.StartSpan(t.Context(), "open", vmspan.StartConfig{Kind: vmspan.KindHostSpan})
	s.SetTags("a", 1)
	s.SetTags("b", 2)
	spans := r.Spans()
	if len(spans) != 1 || spans[0].Starts != 1 || spans[0].Ends != 0 {
		t.Fatalf("spans = %+v, want one started span", spans)
	}
	if got := spans[0].Tags; len(got) != 2 || got["a"] != "1" || got["b"] != "2" {
		t.Errorf("tags = %v, want a=1 b=2", got)
	}
}

func TestStepClockNeverRepeats(t *testing.T) {
	clock := StepClock()
	a, b := clock(), clock()
	if !b.After(a) {
		t.Errorf("clock went from %v to %v", a, b)
	}
}

func TestRecorder(t *testing.T) {
	tr, r := NewTracer()
	ctx, a := tr.Start(t.Context(), "a")
	_, b := tr.Start(ctx, "b")
	b.End(nil, nil)
	a.End(nil, nil)
	if r.Count(vmspan.EventStart) != 2 || r.Count(vmspan.EventEnd) != 2 {
		t.Fatalf("events: %+v", r.Events())
	}
	e, ok := r.Find(vmspan.EventEnd, "b")
	if !ok || e.Span.Parent != a.SpanContext().ID {
		t.Errorf("b's end = %+v, %v", e, ok)
	}
	if end, ok := r.End(a.SpanContext().ID); !ok || end.Name != "a" {
		t.Errorf("End(a) = %+v, %v", end, ok)
	}
	// A second tracer of the same recorder continues its id sequence.
	_, c := r.Tracer().Start(t.Context(), "c")
	if id := c.SpanContext().ID; id == a.SpanContext().ID || id == b.SpanContext().ID {
		t.Errorf("a second tracer repeated id %v", id)
	}
	c.End(nil, nil)
	if vmspan.Retains(r) != true {
		t.Error("a Recorder keeps events' slices: it must not say it retains nothing")
	}
	r.Reset()
	if len(r.Events()) != 0 {
		t.Error("Reset kept events")
	}
}
