// bridge.go holds the Bridge: the vmspan sink that turns bex spans into OTel spans.

package otelbridge

import (
	"context"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope name of the spans the bridge creates.
const TracerName = "github.com/bexrun/bex/otelbridge"

// DefaultMaxAttributeSize is the default limit, in bytes, of an argument,
// result, tag or message attribute value.
const DefaultMaxAttributeSize = 4 << 10

// A Bridge is a vmspan.Sink (and vmspan.ContextSink and vmspan.Flusher) that
// turns every bex span into an OpenTelemetry span; see the package
// documentation for the mapping. It is safe for concurrent use: Emit may be
// called from many goroutines at once, as vmspan.Sink requires.
type Bridge struct {
	cfg      config
	fixed    trace.Tracer // the tracer of cfg.provider, when one was given
	cached   atomic.Pointer[tracerCache]
	open     openSpans
	spans    atomic.Int64
	ended    atomic.Int64
	attempts atomic.Int64
	late     atomic.Int64
}

// An Option configures a Bridge (New) or a replay (Export).
type Option func(*config)

type config struct {
	provider trace.TracerProvider // nil: the global provider, looked up at each span
	maxSize  int
	content  bool
}

// WithTracerProvider makes the bridge create spans with tp. The default is
// the global provider (otel.GetTracerProvider), looked up when each span
// starts, so that a later otel.SetTracerProvider still applies. Give tp the
// IDGenerator to get deterministic ids (NewProvider does).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithMaxAttributeSize limits argument, result, tag and message attribute
// values to n bytes (default DefaultMaxAttributeSize); longer values are cut
// and end with TruncatedMarker. n <= 0 means no limit.
func WithMaxAttributeSize(n int) Option {
	return func(c *config) { c.maxSize = n }
}

// WithContentCapture records the prompt and completion of every LLM attempt
// as gen_ai.input.messages and gen_ai.output.messages. It is off by default:
// prompts and completions often hold personal data.
func WithContentCapture(on bool) Option {
	return func(c *config) { c.content = on }
}

// New returns a Bridge. Install it as (part of) a vmspan.Tracer's sink.
func New(opts ...Option) *Bridge {
	b := &Bridge{cfg: config{maxSize: DefaultMaxAttributeSize}}
	for _, o := range opts {
		o(&b.cfg)
	}
	if b.cfg.provider != nil {
		b.fixed = b.cfg.provider.Tracer(TracerName)
	}
	return b
}

type tracerCache struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
}

// provider returns the provider spans are created with now.
func (b *Bridge) provider() trace.TracerProvider {
	if b.cfg.provider != nil {
		return b.cfg.provider
	}
	return otel.GetTracerProvider()
}

// tracer returns the bridge's tracer from the current provider, cached
// until the provider changes.
func (b *Bridge) tracer() trace.Tracer {
	if b.fixed != nil {
		return b.fixed
	}
	tp := otel.GetTracerProvider()
	if c := b.cached.Load(); c != nil && sameProvider(c.provider, tp) {
		return c.tracer
	}
	c := &tracerCache{provider: tp, tracer: tp.Tracer(TracerName)}
	b.cached.Store(c)
	return c.tracer
}

// sameProvider compares providers without panicking on a provider whose
// dynamic type is not comparable.
func sameProvider(a, b trace.TracerProvider) bool {
	if reflect.TypeOf(a) != reflect.TypeOf(b) || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

// Emit maps one event. See the package documentation.
func (b *Bridge) Emit(e *vmspan.Event) {
	if e.Span.ID.IsZero() {
		return
	}
	switch e.Kind {
	case vmspan.EventStart:
		b.start(e)
	case vmspan.EventEnd:
		b.end(e)
	case vmspan.EventSetTags:
		b.setTags(e)
	}
}

// RetainsEvents reports false: Emit encodes what the OTel span needs
// before it returns, keeping only the tags map (see vmspan.Retainer).
func (b *Bridge) RetainsEvents() bool { return false }

// start creates the OTel span when the bex span starts, so that it exists
// (with its real span context, whatever ids the provider chose) while the
// span's children start.
func (b *Bridge) start(e *vmspan.Event) {
	if !b.open.add(e.Span.ID, b.startSpan(e, e.Time)) {
		// A repeated start event (a malformed trace file): the new span
		// is dropped unended, so it is never exported.
		b.spans.Add(-1)
	}
}

// Span kind options, boxed once.
var (
	kindInternal = trace.WithSpanKind(trace.SpanKindInternal)
	kindClient   = trace.WithSpanKind(trace.SpanKindClient)
)

// startSpan starts the OTel span of e's bex span. The ctx it keeps, which
// Start returned, holds the span for its children; it also holds the ids
// wanted for this span, which a child's own wanted ids shadow, so it never
// leaves the package (ContextFor builds a fresh ctx).
func (b *Bridge) startSpan(e *vmspan.Event, at time.Time) openSpan {
	ctx := withIDs(b.parentContext(e), e.TraceID, vmspan.OTelSpanID(e.Span.ID))
	attrs := b.startAttrs(e)
	ctx, span := b.tracer().Start(ctx, e.Name,
		trace.WithTimestamp(at), kindInternal, trace.WithAttributes(attrs.s...))
	attrs.free()
	b.spans.Add(1)
	return openSpan{span: span, ctx: ctx, tags: e.Tags}
}

// parentContext returns a ctx holding the OTel parent of e's span: the
// remote parent, else the open span of the bex parent, else the bex
// parent's deterministic span context; a tree root gets none.
func (b *Bridge) parentContext(e *vmspan.Event) context.Context {
	ctx := context.Background()
	switch {
	case e.Remote != nil:
		return trace.ContextWithRemoteSpanContext(ctx, e.Remote.SpanContext())
	case e.Span.Parent.IsZero():
		return ctx
	}
	if p, ok := b.open.get(e.Span.Parent); ok {
		return p.ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, spanContextOf(e.TraceID, e.Span.Parent))
}

// spanContextOf returns the deterministic span context of bex span id,
// sampled: a parent rebuilt without the sampled flag would make the default
// ParentBased sampler drop its children.
func spanContextOf(traceID trace.TraceID, id vmspan.SpanID) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: vmspan.OTelSpanID(id), TraceFlags: trace.FlagsSampled,
	})
}

// end finishes the span; a span whose start was not seen is created now,
// from the start time, arguments and tags that end events repeat.
func (b *Bridge) end(e *vmspan.Event) {
	o, ok := b.open.take(e.Span.ID)
	if !ok {
		o = b.startSpan(e, startTime(e))
		b.late.Add(1)
	}
	b.finish(o, e, endTime(e))
}

func startTime(e *vmspan.Event) time.Time {
	if !e.Start.IsZero() {
		return e.Start
	}
	return e.Time.Add(-e.Duration)
}

// endTime is the start plus the monotonic duration, so that the OTel span
// lasts exactly as long as the bex span did.
func endTime(e *vmspan.Event) time.Time {
	if e.Start.IsZero() {
		return e.Time
	}
	return e.Start.Add(e.Duration)
}

func (b *Bridge) finish(o openSpan, e *vmspan.Event, end time.Time) {
	span := o.span
	defer b.ended.Add(1)
	if !span.IsRecording() {
		span.End(trace.WithTimestamp(end))
		return
	}
	attrs := b.endAttrs(o.tags, e)
	span.SetAttributes(attrs.s...)
	attrs.free()
	if e.Err != nil {
		recordError(span, e.Err, end)
	}
	for i := range e.Attempts {
		b.attempt(o.ctx, e, i)
	}
	span.End(trace.WithTimestamp(end))
}

// recordError adds the exception event that span.RecordError would, but
// with bex's error type rather than the Go type of an error value, and sets
// the status, which RecordError does not.
func recordError(span trace.Span, err *vmspan.ErrorInfo, at time.Time) {
	span.AddEvent(exceptionEventName, trace.WithTimestamp(at), trace.WithAttributes(
		keyExceptionType.String(err.Type), keyExceptionMessage.String(err.Message)))
	span.SetStatus(codes.Error, err.Message)
}

// attempt creates the CLIENT span of LLM attempt i of the function span in
// fn (the function span's kept ctx).
func (b *Bridge) attempt(fn context.Context, e *vmspan.Event, i int) {
	a := &e.Attempts[i]
	start := a.Start
	if start.IsZero() {
		start = startTime(e)
	}
	ctx := withIDs(fn, e.TraceID, vmspan.AttemptSpanID(e.Span.ID, i))
	attrs := b.attemptAttrs(a)
	_, span := b.tracer().Start(ctx, attemptName(a),
		trace.WithTimestamp(start), kindClient, trace.WithAttributes(attrs.s...))
	attrs.free()
	end := start.Add(a.Duration)
	if a.Err != nil {
		recordError(span, a.Err, end)
	}
	span.End(trace.WithTimestamp(end))
	b.attempts.Add(1)
}

// setTags sets the tags on the open span at once, so that they are there
// even if the span's end is never seen.
func (b *Bridge) setTags(e *vmspan.Event) {
	o, ok := b.open.get(e.Span.ID)
	if !ok || len(e.Tags) == 0 || !o.span.IsRecording() {
		return
	}
	attrs := newAttrs()
	for k, v := range e.Tags {
		attrs.s = append(attrs.s, b.tagAttr(k, v))
	}
	o.span.SetAttributes(attrs.s...)
	attrs.free()
}

// ContextFor returns ctx carrying the OTel span of the bex span that start
// describes, so that OTel spans started from it (by a host function, or the
// LLM HTTP client) are its children, and propagators send its traceparent.
// When the span is not open in the bridge it carries the span's
// deterministic span context instead.
func (b *Bridge) ContextFor(ctx context.Context, start *vmspan.Event) context.Context {
	if start == nil || start.Span.ID.IsZero() {
		return ctx
	}
	if o, ok := b.open.get(start.Span.ID); ok {
		return trace.ContextWithSpan(ctx, o.span)
	}
	return trace.ContextWithSpanContext(ctx, spanContextOf(start.TraceID, start.Span.ID))
}

// Flush exports the spans ended so far, when the provider can be flushed
// (an SDK TracerProvider or a *Provider), or returns ctx's error.
func (b *Bridge) Flush(ctx context.Context) error {
	if f, ok := b.provider().(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return ctx.Err()
}

// endOpen ends every open span at time at with an error status saying why,
// and returns how many it ended.
func (b *Bridge) endOpen(at time.Time, why string) int {
	open := b.open.takeAll()
	for _, o := range open {
		o.span.SetStatus(codes.Error, why)
		o.span.End(trace.WithTimestamp(at))
		b.ended.Add(1)
	}
	return len(open)
}

// Stats describes what a Bridge has done so far.
type Stats struct {
	Spans    int64 // OTel spans created for bex spans
	Attempts int64 // OTel spans created for LLM attempts
	Open     int64 // bex spans started and not yet ended
	Late     int64 // end events whose start the bridge never saw (the span was created at its end)
	// Delivery reports the provider's export counts, dropped spans
	// included, when the provider is a *Provider; it is zero otherwise.
	Delivery DeliveryStats
}

// Stats returns the bridge's counts.
func (b *Bridge) Stats() Stats {
	s := Stats{Spans: b.spans.Load(), Attempts: b.attempts.Load(), Late: b.late.Load()}
	s.Open = s.Spans - b.ended.Load()
	if p, ok := b.provider().(*Provider); ok {
		s.Delivery = p.Stats()
	}
	return s
}

// DroppedSpans returns the number of spans the provider lost (a *Provider;
// zero for other providers, which do not report it).
func (b *Bridge) DroppedSpans() int64 { return b.Stats().Delivery.Dropped }

var (
	_ vmspan.ContextSink = (*Bridge)(nil)
	_ vmspan.Flusher     = (*Bridge)(nil)
	_ vmspan.Retainer    = (*Bridge)(nil)
)
