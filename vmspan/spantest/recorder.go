// recorder.go holds Recorder, the sink that tests record events with.

package spantest

import (
	"sync"

	"github.com/bexrun/bex/vmspan"
)

// A Recorder is a vmspan.Sink that keeps a copy of every event it
// receives, for tests, as OpenTelemetry's tracetest.SpanRecorder keeps
// spans. The zero Recorder is ready to use, and it is safe for concurrent
// use. It keeps the events' Stack and Args slices, so it does not
// implement vmspan.Retainer: an engine whose sinks include it does not
// reuse span memory.
type Recorder struct {
	mu     sync.Mutex
	events []vmspan.Event
	ids    func() vmspan.SpanID
}

// NewTracer returns a tracer that sends every event to a new Recorder, and
// the Recorder. See Recorder.Tracer for its defaults.
func NewTracer(opts ...vmspan.TracerOption) (*vmspan.Tracer, *Recorder) {
	r := new(Recorder)
	return r.Tracer(opts...), r
}

// Tracer returns a tracer that sends every event to r, with ids from one
// sequence per Recorder (vmspan.SequentialIDs), so that the tracers of one
// test never repeat an id; opts are applied after that default (for
// example vmspan.WithClock(StepClock())).
func (r *Recorder) Tracer(opts ...vmspan.TracerOption) *vmspan.Tracer {
	r.mu.Lock()
	if r.ids == nil {
		r.ids = vmspan.SequentialIDs()
	}
	ids := r.ids
	r.mu.Unlock()
	return vmspan.NewTracer(r, append([]vmspan.TracerOption{vmspan.WithIDs(ids)}, opts...)...)
}

// Emit keeps a copy of e.
func (r *Recorder) Emit(e *vmspan.Event) {
	c := *e
	r.mu.Lock()
	r.events = append(r.events, c)
	r.mu.Unlock()
}

// Events returns the events received so far, oldest first.
func (r *Recorder) Events() []vmspan.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]vmspan.Event(nil), r.events...)
}

// Spans folds the events received so far into spans (see FromEvents).
func (r *Recorder) Spans() []Span { return FromEvents(r.Events()) }

// Filter returns the events of kind k (every kind when k is 0) of the
// spans named name (every span when name is ""), oldest first.
func (r *Recorder) Filter(k vmspan.EventKind, name string) []vmspan.Event {
	var out []vmspan.Event
	for _, e := range r.Events() {
		if (k == 0 || e.Kind == k) && (name == "" || e.Name == name) {
			out = append(out, e)
		}
	}
	return out
}

// Count returns the number of events of kind k received so far.
func (r *Recorder) Count(k vmspan.EventKind) int { return len(r.Filter(k, "")) }

// Find returns the first event of kind k of the span named name.
func (r *Recorder) Find(k vmspan.EventKind, name string) (vmspan.Event, bool) {
	if es := r.Filter(k, name); len(es) > 0 {
		return es[0], true
	}
	return vmspan.Event{}, false
}

// End returns the end event of the span with id.
func (r *Recorder) End(id vmspan.SpanID) (vmspan.Event, bool) {
	for _, e := range r.Events() {
		if e.Kind == vmspan.EventEnd && e.Span.ID == id {
			return e, true
		}
	}
	return vmspan.Event{}, false
}

// Reset forgets the events received so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}
