// sink.go holds the Sink interface and its fan-out.

package vmspan

import (
	"context"
	"reflect"
)

// A Sink receives span events. Emit is called synchronously on the goroutine
// that produced the event, possibly from many goroutines at once, so
// implementations must be safe for concurrent use and should be fast; a sink
// that does slow work (I/O, export) queues it.
//
// The event belongs to the caller and is valid only until Emit returns:
// the tracer reuses it (a span's end event is its start event with the
// fields an end changes set in place), and a fan-out passes the same event
// to every sink. A sink must not modify *e, and one that keeps the event
// keeps a copy (*e), as a slog.Handler that keeps a Record clones it. The
// values an event references (Tags, Result, Err, Attempts, the argument
// values) are immutable and may be kept; its Stack and Args slices may
// only be read after Emit returns by a sink that says so (see Retainer).
// Passing the event by pointer saves copying it twice per span.
type Sink interface {
	Emit(e *Event)
}

// A ContextSink is a Sink that contributes to the context.Context seen by code
// running inside a span: traced host functions and LLM HTTP requests. The
// OpenTelemetry bridge uses it to put the span's OTel span context in ctx.
// It is found by type assertion.
type ContextSink interface {
	Sink
	// ContextFor returns ctx extended for code running inside the span that
	// start (a start event) describes.
	ContextFor(ctx context.Context, start *Event) context.Context
}

// An IDSink is a Sink that exports spans with OpenTelemetry ids of its
// provider's choosing: the OpenTelemetry bridge, whose provider may be the
// application's, with random ids. Before a span's end event, the tracer
// asks the first IDSink among its sinks for the ids it exported the span
// with and records them in Event.OTel, so that sinks that keep events (a
// trace file) keep the ids the live export used. It is found by type
// assertion.
type IDSink interface {
	Sink
	// OTelIDs returns the ids the sink gave the span id, and whether it
	// has the span (started and not yet ended).
	OTelIDs(id SpanID) (OTelIDs, bool)
}

// An AttemptSink is a Sink that follows LLM provider attempts as they
// happen (the OpenTelemetry bridge makes each a live CLIENT span, which the
// attempt's request names in its headers). It is found by type assertion;
// see StartAttempt. Sinks that want more of an attempt (the events of a
// streamed one) will implement further optional interfaces.
type AttemptSink interface {
	Sink
	// StartAttempt is called before attempt n (counted from 0 for each
	// LLM function span) sends its request. fn is the LLM function span's
	// start event, ctx its ctx (see Span.Context), and a the attempt as
	// far as it is known: client, provider, model, request parameters,
	// server and start time. StartAttempt returns ctx extended for the
	// attempt; the request is made with it.
	StartAttempt(ctx context.Context, fn *Event, n int, a *LLMAttempt) context.Context
	// EndAttempt is called once for each StartAttempt, with the ctx it
	// returned, when the attempt's record a is complete (its outcome,
	// usage, duration, and whether its output was selected).
	EndAttempt(ctx context.Context, fn *Event, a *LLMAttempt)
}

// A Retainer is a Sink that says whether it retains events. A sink may keep
// the Events it receives, and what they reference, for as long as it likes
// (a Collector keeps them until its calls are cleared), and a Sink that does
// not implement Retainer is assumed to. A sink that encodes or copies what
// it needs during Emit implements Retainer and returns false: then the
// engine may reuse a traced frame's span, whose memory an Event's Stack and
// Args slices point into, once the span has ended (see FrameTracker).
type Retainer interface {
	Sink
	// RetainsEvents reports whether the sink may read an Event's Stack or
	// Args slice after Emit returns. A sink that does not may still keep
	// the values in those slices (snapshots are immutable), the Tags map,
	// Result, Err and Attempts, and of course its own copies.
	RetainsEvents() bool
}

// Retains reports whether sink may retain the events it receives: true
// unless it is nil or a Retainer that says it does not.
func Retains(sink Sink) bool {
	if sink == nil {
		return false
	}
	r, ok := sink.(Retainer)
	return !ok || r.RetainsEvents()
}

// A Flusher is a Sink that buffers events; Flush makes everything emitted so
// far durable, or returns ctx's error.
type Flusher interface {
	Flush(ctx context.Context) error
}

// SinkFunc adapts a function to a Sink. The function sees the event only
// for the duration of the call, as Sink.Emit does.
type SinkFunc func(*Event)

// Emit calls f(e).
func (f SinkFunc) Emit(e *Event) { f(e) }

// Discard is a Sink that keeps nothing, like slog.DiscardHandler: spans
// are still made (a tracer whose sink is nil makes none), and their events
// dropped. Benchmarks use it to measure the tracer's own cost.
var Discard Sink = discard{}

type discard struct{}

func (discard) Emit(*Event) {}

// RetainsEvents reports false: Discard keeps nothing.
func (discard) RetainsEvents() bool { return false }

type fanout []Sink

// Fanout returns a Sink that sends every event to each of sinks in order.
// Nil sinks are skipped, nested fan-outs flattened and repeated sinks (of
// comparable types, such as pointers) kept once, so a Collector attached
// both to a call and to an engine call nested in it sees each event once.
// Fanout returns nil when no sink is left and the sink itself when only one
// is.
func Fanout(sinks ...Sink) Sink {
	// One sink among nils, as when a span starts under the tracer's sink
	// alone, is returned without building a fan-out, which would allocate.
	var one Sink
	for _, s := range sinks {
		switch {
		case s == nil:
		case one != nil:
			return fanoutOf(sinks)
		default:
			one = s
		}
	}
	if _, ok := one.(fanout); ok {
		return fanoutOf(sinks)
	}
	return one
}

func fanoutOf(sinks []Sink) Sink {
	var out fanout
	add := func(s Sink) {
		if reflect.TypeOf(s).Comparable() {
			for _, o := range out {
				if reflect.TypeOf(o).Comparable() && o == s {
					return
				}
			}
		}
		out = append(out, s)
	}
	for _, s := range sinks {
		switch s := s.(type) {
		case nil:
		case fanout:
			for _, m := range s {
				add(m)
			}
		default:
			add(s)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

func (f fanout) Emit(e *Event) {
	for _, s := range f {
		s.Emit(e)
	}
}

// RetainsEvents reports whether any member may retain events.
func (f fanout) RetainsEvents() bool {
	for _, s := range f {
		if Retains(s) {
			return true
		}
	}
	return false
}

// StartAttempt passes ctx through every member that is an AttemptSink.
func (f fanout) StartAttempt(ctx context.Context, fn *Event, n int, a *LLMAttempt) context.Context {
	for _, s := range f {
		if as, ok := s.(AttemptSink); ok {
			ctx = as.StartAttempt(ctx, fn, n, a)
		}
	}
	return ctx
}

// EndAttempt ends the attempt in every member that is an AttemptSink.
func (f fanout) EndAttempt(ctx context.Context, fn *Event, a *LLMAttempt) {
	for _, s := range f {
		if as, ok := s.(AttemptSink); ok {
			as.EndAttempt(ctx, fn, a)
		}
	}
}

// idSink returns the first IDSink among the members of sink, or nil.
func idSink(sink Sink) IDSink {
	if f, ok := sink.(fanout); ok {
		for _, s := range f {
			if ids, ok := s.(IDSink); ok {
				return ids
			}
		}
		return nil
	}
	ids, _ := sink.(IDSink)
	return ids
}

// ContextFor passes ctx through every member that is a ContextSink.
func (f fanout) ContextFor(ctx context.Context, start *Event) context.Context {
	for _, s := range f {
		if cs, ok := s.(ContextSink); ok {
			ctx = cs.ContextFor(ctx, start)
		}
	}
	return ctx
}

// Flush flushes every member that is a Flusher and returns the first error.
func (f fanout) Flush(ctx context.Context) error {
	var first error
	for _, s := range f {
		if fl, ok := s.(Flusher); ok {
			if err := fl.Flush(ctx); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
