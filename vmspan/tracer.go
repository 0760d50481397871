// tracer.go holds the Tracer, its options and ids, and the default tracer.

package vmspan

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bexrun/bex/vmspan/internal/clock"
)

// A Tracer starts spans and sends their events to its Sink. A Tracer is safe
// for concurrent use. A Tracer whose sink is nil does nothing: Start returns
// ctx unchanged and a nil *Span, whose methods are no-ops.
type Tracer struct {
	sink  Sink
	newID func() SpanID
	now   func() time.Time // nil: the default clock (package internal/clock)
}

// A TracerOption configures a Tracer.
type TracerOption func(*Tracer)

// WithIDs sets the id source (default: UUID v7 ids made from the event's
// timestamp, like NewSpanID). Tests use SequentialIDs.
func WithIDs(f func() SpanID) TracerOption { return func(t *Tracer) { t.newID = f } }

// WithClock sets the clock (default: what time.Now returns, read more
// cheaply). Durations are the difference of two clock readings, so the default
// clock gives monotonic durations.
func WithClock(f func() time.Time) TracerOption { return func(t *Tracer) { t.now = f } }

// NewTracer returns a Tracer that sends events to sink (nil: nowhere).
func NewTracer(sink Sink, opts ...TracerOption) *Tracer {
	t := &Tracer{sink: sink}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Sink returns the tracer's sink (nil when none).
func (t *Tracer) Sink() Sink { return t.sink }

// id returns a new id for an event that happens at now.
func (t *Tracer) id(now time.Time) SpanID {
	if t.newID != nil {
		return t.newID()
	}
	return newV7(now.UnixNano())
}

// startIDs sets the ids of a span that starts at Unix time wall: its own
// (e.Span.ID, and the last id of e.Stack, for which e.Stack has room) and
// its start event's (e.ID), made in that order.
//
// The default source draws random bits once per span: the span's id gets
// 62 random bits r, its start event's id r+1 and its end event's id r+2
// (see endID), each with the timestamp of its event. Three ids still come
// out unique (two spans' ranges meet only if their draws are within 2 of
// each other in the same 250 ns), for one draw instead of three.
//
// The ids are written where they go rather than made and copied there: an
// id written as two 8-byte halves and at once read back as 16 bytes cannot
// be forwarded from the pending stores (see docs/performance.md).
func (t *Tracer) startIDs(e *Event, wall int64, ft *FrameTracker) {
	last := &e.Stack[len(e.Stack)-1]
	if t.newID != nil {
		e.Span.ID = t.newID()
		*last, e.ID = e.Span.ID, t.newID()
		return
	}
	var r uint64
	if ft != nil {
		r = ft.rand()
	} else {
		r = rand.Uint64()
	}
	p := v7Prefix(wall)
	e.Span.ID.setV7(p, r)
	last.setV7(p, r)
	e.ID.setV7(p, r+1)
}

// endID sets e.ID, the id of the end event of e's span at Unix time wall
// (see startIDs).
func (t *Tracer) endID(e *Event, wall int64) {
	if t.newID != nil {
		e.ID = t.newID()
		return
	}
	e.ID.setV7(v7Prefix(wall), e.Span.ID.randB()+2)
}

// Now reads the tracer's clock.
func (t *Tracer) Now() time.Time {
	if t.now == nil {
		return clock.Now()
	}
	return t.now()
}

// read reads the clock for an event: its time and its stamp.
func (t *Tracer) read() (time.Time, clock.Stamp) {
	if t.now == nil {
		st := clock.NowStamp()
		return time.Unix(0, st.Wall), st
	}
	tm := t.now()
	return tm, clock.StampOf(tm)
}

var defaultTracer atomic.Pointer[Tracer]

func init() { defaultTracer.Store(NewTracer(nil)) }

// SetDefault makes t the default tracer, used by Start and by engines that
// are not given a tracer of their own. Call it once at start-up, before
// spans are started (bex.Setup does). A nil t restores a tracer with no sink.
func SetDefault(t *Tracer) {
	if t == nil {
		t = NewTracer(nil)
	}
	defaultTracer.Store(t)
}

// Default returns the default tracer. It is never nil.
func Default() *Tracer { return defaultTracer.Load() }

// A StartConfig describes a span for Tracer.StartSpan.
type StartConfig struct {
	Kind Kind
	// Args are the span's arguments, already in snapshot form. StartSpan
	// copies the slice.
	Args []Arg
	// Sinks receive, in addition to the tracer's sink, the events of the
	// span's whole subtree: its traced frames and the spans of nested
	// engine calls made from ctxs below it. This is how a Collector sees
	// the whole subtree of a call.
	Sinks []Sink
}

// StartSpan starts a span as a child of the innermost bex span in ctx (and
// of the remote OTel span in ctx, if that is newer). It returns nil, doing
// no work, when no sink would receive the span's events. It is the
// low-level form that starts an engine call's root span (whose traced
// frames a FrameTracker then follows); host code uses Start.
func (t *Tracer) StartSpan(ctx context.Context, name string, cfg StartConfig) *Span {
	parent := SpanFromContext(ctx)
	var inherited Sink
	if parent != nil {
		inherited = parent.tree.scoped
	}
	sink := Fanout(append([]Sink{t.sink, inherited}, cfg.Sinks...)...)
	if sink == nil {
		return nil
	}
	r := &rootSpan{tree: spanTree{tracer: t, sink: sink}} // one allocation for both
	s := &r.Span
	s.tree = &r.tree
	r.tree.owner = s
	r.tree.scoped = Fanout(append([]Sink{inherited}, cfg.Sinks...)...)
	r.tree.remote = remoteFrom(ctx, parent)
	r.tree.reuse = !Retains(sink)
	r.tree.ids = idSink(sink)
	now, st := t.read()
	e := &s.ev
	if parent != nil {
		e.Span.Parent, e.Span.Root = parent.ev.Span.ID, parent.ev.Span.Root
		e.Stack = s.growStack(parent.ev.Stack)
		t.startIDs(e, st.Wall, nil)
		r.tree.traceID = parent.tree.traceID
		if p := parent.tags.Load(); p != nil { // no atomic store for a span without tags
			s.tags.Store(p)
		}
	} else {
		e.Stack = s.growStack(nil)
		t.startIDs(e, st.Wall, nil)
		e.Span.Root = e.Span.ID
		r.tree.traceID = OTelTraceID(e.Span.ID)
	}
	if r.tree.remote != nil {
		r.tree.traceID = r.tree.remote.TraceID
	}
	e.Name, e.SpanKind, e.Args = name, cfg.Kind, s.keepArgs(cfg.Args)
	e.TraceID, e.Remote = r.tree.traceID, r.tree.remote
	s.emitStart(now, st.Mono)
	return s
}
