// replay.go sends a recorded stream of events (a trace file) through the bridge's mapping.

package otelbridge

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
)

// ReplayStats counts what Export did.
type ReplayStats struct {
	Events     int // events read
	Malformed  int // errors the event stream yielded (bad lines), skipped
	Spans      int // OTel spans created for bex spans
	Attempts   int // OTel spans created for LLM attempts
	Unbalanced int // spans whose end was missing, ended by Export with an error status
	Late       int // spans whose start was missing, created from their end event
	Unsampled  int // spans the live export's sampler had dropped, not sent again
}

// maxReplayErrors bounds the errors Export returns; the rest are counted.
const maxReplayErrors = 20

// Export sends recorded events (for example a trace file read with the jsonl
// package) through the same mapping as the live Bridge. Each span is
// created when its end event arrives, with the ids the live bridge
// recorded in it (Event.OTel, LLMAttempt.OTel) when a bridge was live, and
// otherwise with the deterministic ids derived from bex ids: with a
// provider that uses IDGenerator, Export reproduces the trace ids, span
// ids and parents of the live export whatever ids the live provider chose.
// Spans the live sampler dropped (recorded as not sampled) are not sent.
// Spans whose end never arrives are created from their start and ended at
// the latest time seen in the stream, with an error status "span not ended
// in trace file". Errors from the stream are counted and skipped, and
// returned (the first few, joined) with the stats; Export stops early when
// ctx is done. When the provider can be flushed, Export flushes it before
// it returns; it does not shut it down.
func Export(ctx context.Context, events iter.Seq2[vmspan.Event, error], opts ...Option) (ReplayStats, error) {
	r := &replayer{b: New(opts...), open: map[vmspan.SpanID]*vmspan.Event{}, childErr: map[vmspan.SpanID]*vmspan.ErrorInfo{}}
	var errs []error
	var last time.Time
	for e, err := range events {
		if err != nil {
			r.st.Malformed++
			if len(errs) < maxReplayErrors {
				errs = append(errs, err)
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		r.st.Events++
		if e.Time.After(last) {
			last = e.Time
		}
		r.emit(&e)
	}
	if r.st.Malformed > maxReplayErrors {
		errs = append(errs, fmt.Errorf("otelbridge: %d more malformed events", r.st.Malformed-maxReplayErrors))
	}
	r.endOpen(last)
	if ctx.Err() == nil {
		if err := r.b.Flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	r.st.Attempts = int(r.b.attempts.Load())
	return r.st, errors.Join(errs...)
}

// A replayer is the state of one Export: the start events of the spans not
// ended yet, and the errors their children ended with.
type replayer struct {
	b        *Bridge
	st       ReplayStats
	open     map[vmspan.SpanID]*vmspan.Event
	childErr map[vmspan.SpanID]*vmspan.ErrorInfo
}

func (r *replayer) emit(e *vmspan.Event) {
	if e.Span.ID.IsZero() {
		return
	}
	switch e.Kind {
	case vmspan.EventStart:
		if _, dup := r.open[e.Span.ID]; !dup { // a repeated start (a malformed file) is ignored
			c := *e
			r.open[e.Span.ID] = &c
		}
	case vmspan.EventSetTags:
		if s, ok := r.open[e.Span.ID]; ok {
			tags := maps.Clone(s.Tags)
			if tags == nil {
				tags = map[string]string{}
			}
			maps.Copy(tags, e.Tags)
			s.Tags = tags
		}
	case vmspan.EventEnd:
		r.end(e)
	}
}

// end creates and ends the span of an end event.
func (r *replayer) end(e *vmspan.Event) {
	start, ok := r.open[e.Span.ID]
	delete(r.open, e.Span.ID)
	childErr := r.childErr[e.Span.ID]
	delete(r.childErr, e.Span.ID)
	if !ok {
		r.st.Late++
		start = e
	}
	if e.Err != nil {
		if _, ok := r.open[e.Span.Parent]; ok {
			r.childErr[e.Span.Parent] = e.Err
		}
	}
	if e.OTel != nil && !e.OTel.Sampled {
		r.st.Unsampled++
		return
	}
	o := r.startSpan(e, start.Tags, startTime(e))
	r.b.finish(o, e, endTime(e), childErr, false)
}

// startSpan starts the OTel span of e's bex span at at, with the recorded
// ids when there are some.
func (r *replayer) startSpan(e *vmspan.Event, tags map[string]string, at time.Time) *openSpan {
	s := *e
	s.Tags = tags
	r.st.Spans++
	if ids := e.OTel; ids != nil {
		return r.b.startWith(recordedContext(ids), recordedContext(ids), &s, at)
	}
	parent := context.Background()
	switch {
	case e.Remote != nil:
		parent = trace.ContextWithRemoteSpanContext(parent, e.Remote.SpanContext())
	case !e.Span.Parent.IsZero():
		parent = trace.ContextWithRemoteSpanContext(parent, spanContextOf(e.TraceID, e.Span.Parent))
	}
	return r.b.startWith(withIDs(parent, e.TraceID, vmspan.OTelSpanID(e.Span.ID)), parent, &s, at)
}

// endOpen creates the spans whose end never came from their start events
// and ends them at at with an error status saying why.
func (r *replayer) endOpen(at time.Time) {
	for _, s := range r.open {
		o := r.startSpan(s, s.Tags, s.Time)
		o.span.SetStatus(codes.Error, unbalancedMessage)
		o.span.End(trace.WithTimestamp(at))
		r.st.Unbalanced++
	}
	clear(r.open)
}
