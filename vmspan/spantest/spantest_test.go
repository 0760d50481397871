package spantest

import (
	"sync"
	"testing"

	"github.com/bexrun/bex/vmspan"
)

// recorder keeps every event, optionally passing it through a fault first.
type recorder struct {
	mu     sync.Mutex
	fault  func(e vmspan.Event) []vmspan.Event
	events []vmspan.Event
}

func (r *recorder) Emit(ep *vmspan.Event) {
	e := *ep
	out := []vmspan.Event{e}
	if r.fault != nil {
		out = r.fault(e)
	}
	r.mu.Lock()
	r.events = append(r.events, out...)
	r.mu.Unlock()
}

func recorderHarness(fault func(vmspan.Event) []vmspan.Event) Harness {
	return Harness{
		New: func(t *testing.T) vmspan.Sink { return &recorder{fault: fault} },
		Result: func(t *testing.T, s vmspan.Sink) ([]Span, error) {
			r := s.(*recorder)
			r.mu.Lock()
			defer r.mu.Unlock()
			return FromEvents(r.events), nil
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
	r := &recorder{}
	tr := vmspan.NewTracer(r, vmspan.WithIDs(vmspan.SequentialIDs()), vmspan.WithClock(StepClock()))
	s := tr.StartSpan(t.Context(), "open", vmspan.StartConfig{Kind: vmspan.KindHostSpan})
	s.SetTags("a", 1)
	s.SetTags("b", 2)
	spans := FromEvents(r.events)
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
