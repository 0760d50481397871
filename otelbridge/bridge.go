// bridge.go holds the Bridge: the vmspan sink that turns bex spans into OTel spans.

package otelbridge

import (
	"context"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
)

// TracerName is the instrumentation scope name of the spans the bridge creates.
const TracerName = "github.com/bexrun/bex/otelbridge"

// DefaultMaxAttributeSize is the default limit, in bytes, of an argument,
// result, tag or message attribute value.
const DefaultMaxAttributeSize = 4 << 10

// ContentCaptureEnv is the environment variable that turns content capture
// on (see WithContentCapture) when it is "true", as in other GenAI
// instrumentations.
const ContentCaptureEnv = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

// A Bridge is a vmspan.Sink that turns every bex span into an OpenTelemetry
// span, and every LLM attempt into a live CLIENT span; see the package
// documentation for the mapping. It implements vmspan.ContextSink,
// vmspan.AttemptSink, vmspan.IDSink and vmspan.Flusher. It is safe for
// concurrent use: Emit may be called from many goroutines at once, as
// vmspan.Sink requires.
type Bridge struct {
	cfg           config
	fixed         trace.Tracer // the tracer of cfg.provider, when one was given
	cached        atomic.Pointer[tracerCache]
	metrics       *genAIMetrics
	open          openSpans
	spans         atomic.Int64
	ended         atomic.Int64
	attempts      atomic.Int64
	attemptsEnded atomic.Int64
	late          atomic.Int64
}

// An Option configures a Bridge (New) or a replay (Export).
type Option func(*config)

type config struct {
	provider   trace.TracerProvider // nil: the global provider, looked up at each span
	meter      metric.MeterProvider // nil: the global provider
	maxSize    int
	content    bool
	contentSet bool
}

// WithTracerProvider makes the bridge create spans with tp. The default is
// the global provider (otel.GetTracerProvider), looked up when each span
// starts, so that a later otel.SetTracerProvider still applies. Give tp the
// IDGenerator to get deterministic ids (NewProvider does).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithMeterProvider makes the bridge record the GenAI client metrics of
// every LLM attempt with mp (see the package documentation's # Metrics).
// The default is the global MeterProvider (otel.GetMeterProvider), which
// records nothing until the application sets one; instruments created
// before otel.SetMeterProvider start recording when it is called. Export
// (a replay) records no metrics: they describe attempts as they happen.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meter = mp }
}

// WithMaxAttributeSize limits argument, result, tag and message attribute
// values to n bytes (default DefaultMaxAttributeSize); longer values are cut
// and end with TruncatedMarker. n <= 0 means no limit.
func WithMaxAttributeSize(n int) Option {
	return func(c *config) { c.maxSize = n }
}

// WithContentCapture turns content capture on or off: the arguments and
// results of bex spans (bex.args, bex.result) and the prompts, system
// instructions and completions of LLM attempts (gen_ai.input.messages,
// gen_ai.system_instructions, gen_ai.output.messages). Without the option
// it is on when the environment variable ContentCaptureEnv is "true", and
// off otherwise: arguments are prompt variables, and prompts and
// completions often hold personal data.
func WithContentCapture(on bool) Option {
	return func(c *config) { c.content, c.contentSet = on, true }
}

// New returns a Bridge. Install it as (part of) a vmspan.Tracer's sink.
func New(opts ...Option) *Bridge {
	b := &Bridge{cfg: config{maxSize: DefaultMaxAttributeSize}}
	for _, o := range opts {
		o(&b.cfg)
	}
	if !b.cfg.contentSet {
		b.cfg.content = strings.EqualFold(strings.TrimSpace(os.Getenv(ContentCaptureEnv)), "true")
	}
	if b.cfg.provider != nil {
		b.fixed = newTracer(b.cfg.provider)
	}
	mp := b.cfg.meter
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	b.metrics = newGenAIMetrics(mp)
	return b
}

// newTracer returns the bridge's tracer of tp: bex's version and the
// schema URL of the semantic conventions it follows.
func newTracer(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(TracerName, trace.WithInstrumentationVersion(Version()), trace.WithSchemaURL(semconv.SchemaURL))
}

// Version returns the version of the bex module in this binary, as the
// build recorded it ("(devel)" for a build of bex's own source tree).
func Version() string { return version }

var version = func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if info.Main.Path == module {
		return orDevel(info.Main.Version)
	}
	for _, d := range info.Deps {
		if d.Path == module {
			if d.Replace != nil {
				return orDevel(d.Replace.Version)
			}
			return orDevel(d.Version)
		}
	}
	return "(devel)"
}()

const module = "github.com/bexrun/bex"

func orDevel(v string) string {
	if v == "" {
		return "(devel)"
	}
	return v
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
	c := &tracerCache{provider: tp, tracer: newTracer(tp)}
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
func (b *Bridge) startSpan(e *vmspan.Event, at time.Time) *openSpan {
	parent := b.parentContext(e)
	return b.startWith(withIDs(parent, e.TraceID, vmspan.OTelSpanID(e.Span.ID)), parent, e, at)
}

// startWith starts the OTel span of e's bex span from ctx (the parent and
// the wanted ids); parent is the ctx of the parent alone.
func (b *Bridge) startWith(ctx, parent context.Context, e *vmspan.Event, at time.Time) *openSpan {
	attrs := b.startAttrs(e)
	ctx, span := b.tracer().Start(ctx, e.Name, trace.WithTimestamp(at), kindInternal, trace.WithAttributes(attrs.s...))
	attrs.free()
	b.spans.Add(1)
	return &openSpan{span: span, ctx: ctx, parent: trace.SpanContextFromContext(parent).SpanID(), tags: e.Tags}
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
	b.finish(o, e, endTime(e), o.childErr.Load(), true)
	if e.Err != nil {
		if p, ok := b.open.get(e.Span.Parent); ok {
			p.childErr.Store(e.Err)
		}
	}
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

// finish sets the end attributes of o's span, creates its LLM attempts'
// spans (those not already exported live, when live is set), records the
// error and ends the span. childErr is the error the span's last failing
// child ended with, if any.
func (b *Bridge) finish(o *openSpan, e *vmspan.Event, end time.Time, childErr *vmspan.ErrorInfo, live bool) {
	span := o.span
	defer b.ended.Add(1)
	for i := range e.Attempts {
		a := &e.Attempts[i]
		if live && a.OTel != nil {
			continue // exported live, when it happened
		}
		b.recordedAttempt(o.ctx, e, i)
		if a.Err != nil {
			childErr = a.Err
		}
	}
	if !span.IsRecording() {
		span.End(trace.WithTimestamp(end))
		return
	}
	attrs := b.endAttrs(o.tags, e)
	span.SetAttributes(attrs.s...)
	attrs.free()
	if e.Err != nil {
		b.recordError(span, e.Err, end, aroseHere(e.Err, childErr))
	}
	span.End(trace.WithTimestamp(end))
}

// aroseHere reports whether err arose in its span rather than in the child
// that last failed with childErr: a span's error arose below when its
// message holds the child's (bex errors keep the message of the error they
// wrap).
func aroseHere(err, childErr *vmspan.ErrorInfo) bool {
	return childErr == nil || childErr.Message == "" || !strings.Contains(err.Message, childErr.Message)
}

// recordError sets the status of a failed span and, when the error arose
// there, adds the exception event that span.RecordError would, with bex's
// error type rather than the Go type of an error value, and the message
// errorMessage chooses.
func (b *Bridge) recordError(span trace.Span, err *vmspan.ErrorInfo, at time.Time, exception bool) {
	msg := b.errorMessage(err)
	if exception {
		span.AddEvent(semconv.ExceptionEventName, trace.WithTimestamp(at), trace.WithAttributes(exceptionAttrs(err.Type, msg)...))
	}
	span.SetStatus(codes.Error, msg)
}

// errorMessage is the message a span shows for err: the whole message with
// content capture on; else its summary, which quotes no content (see
// vmspan.ErrorSummary), and withheldMessage when the summary is not known
// (a trace file written before summaries were recorded).
func (b *Bridge) errorMessage(err *vmspan.ErrorInfo) string {
	switch {
	case b.cfg.content || err.Summary == err.Message:
		return err.Message
	case err.Summary != "":
		return err.Summary
	}
	return withheldMessage
}

// recordedAttempt creates the CLIENT span of LLM attempt i of the function
// span in e, from its record, below fn (the function span's ctx): the ids
// the live export recorded, else the attempt's deterministic ids.
func (b *Bridge) recordedAttempt(fn context.Context, e *vmspan.Event, i int) {
	a := &e.Attempts[i]
	start := a.Start
	if start.IsZero() {
		start = startTime(e)
	}
	ctx := withIDs(fn, e.TraceID, vmspan.AttemptSpanID(e.Span.ID, i))
	if ids := a.OTel; ids != nil {
		ctx = recordedContext(ids)
	}
	b.endAttempt(b.startAttempt(ctx, a, start), a)
}

// recordedContext returns a ctx asking for recorded ids, under their
// recorded parent.
func recordedContext(ids *vmspan.OTelIDs) context.Context {
	ctx := context.Background()
	if ids.Parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: ids.TraceID, SpanID: ids.Parent, TraceFlags: trace.FlagsSampled, Remote: true,
		}))
	}
	return withIDs(ctx, ids.TraceID, ids.SpanID)
}

// startAttempt starts the CLIENT span of attempt a at start, from ctx.
func (b *Bridge) startAttempt(ctx context.Context, a *vmspan.LLMAttempt, start time.Time) trace.Span {
	attrs := b.attemptStartAttrs(a)
	_, span := b.tracer().Start(ctx, attemptName(a), trace.WithTimestamp(start), kindClient, trace.WithAttributes(attrs.s...))
	attrs.free()
	b.attempts.Add(1)
	return span
}

// endAttempt ends the span of attempt a with its outcome.
func (b *Bridge) endAttempt(span trace.Span, a *vmspan.LLMAttempt) {
	end := a.Start.Add(a.Duration)
	if a.Start.IsZero() {
		end = time.Now()
	}
	if span.IsRecording() {
		attrs := b.attemptEndAttrs(a)
		span.SetAttributes(attrs.s...)
		attrs.free()
		if st := a.Stream; st != nil && st.Chunks > 0 && !a.Start.IsZero() {
			span.AddEvent(EventFirstChunk, trace.WithTimestamp(a.Start.Add(st.FirstChunk)))
		}
		if a.Err != nil {
			b.recordError(span, a.Err, end, true) // an attempt has no children: its errors arise there
		}
	}
	span.End(trace.WithTimestamp(end))
	b.attemptsEnded.Add(1)
}

// attemptKey keys the live attempt span of one Bridge in the ctx its
// StartAttempt returned.
type attemptKey struct{ b *Bridge }

// StartAttempt starts the live CLIENT span of LLM attempt n of the function
// span that fn describes, as a child of the function's span, and returns
// ctx carrying it: the attempt's request is made with that ctx, so that
// the configured propagator names the attempt's span (and its sampling
// decision) in the request's headers, and an instrumented HTTP client's
// span is its child. See vmspan.AttemptSink.
func (b *Bridge) StartAttempt(ctx context.Context, fn *vmspan.Event, n int, a *vmspan.LLMAttempt) context.Context {
	parent := context.Background()
	if o, ok := b.open.get(fn.Span.ID); ok {
		parent = o.ctx
	} else {
		parent = trace.ContextWithRemoteSpanContext(parent, spanContextOf(fn.TraceID, fn.Span.ID))
	}
	start := a.Start
	if start.IsZero() {
		start = time.Now()
	}
	span := b.startAttempt(withIDs(parent, fn.TraceID, vmspan.AttemptSpanID(fn.Span.ID, n)), a, start)
	return context.WithValue(trace.ContextWithSpan(ctx, span), attemptKey{b}, span)
}

// EndAttempt ends the live span StartAttempt started, with the attempt's
// complete record. See vmspan.AttemptSink.
func (b *Bridge) EndAttempt(ctx context.Context, fn *vmspan.Event, a *vmspan.LLMAttempt) {
	span, ok := ctx.Value(attemptKey{b}).(trace.Span)
	if !ok {
		return
	}
	b.endAttempt(span, a)
	b.metrics.record(ctx, a)
	if a.Err != nil {
		if o, ok := b.open.get(fn.Span.ID); ok {
			o.childErr.Store(a.Err)
		}
	}
}

// OTelIDs returns the ids the bridge's provider gave the open span id. See
// vmspan.IDSink.
func (b *Bridge) OTelIDs(id vmspan.SpanID) (vmspan.OTelIDs, bool) {
	o, ok := b.open.get(id)
	if !ok {
		return vmspan.OTelIDs{}, false
	}
	sc := o.span.SpanContext()
	return vmspan.OTelIDs{TraceID: sc.TraceID(), SpanID: sc.SpanID(), Parent: o.parent, Sampled: sc.IsSampled()}, sc.IsValid()
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
		attrs.s = b.appendTag(attrs.s, k, v)
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

// Stats describes what a Bridge has done so far.
type Stats struct {
	Spans    int64 // OTel spans created for bex spans
	Attempts int64 // OTel spans created for LLM attempts
	Open     int64 // bex spans started and not yet ended
	Ended    int64 // OTel spans ended: bex spans and LLM attempts
	Late     int64 // end events whose start the bridge never saw (the span was created at its end)
	// Delivery reports the provider's export counts, dropped spans
	// included, when the provider is a *Provider; it is zero otherwise.
	Delivery DeliveryStats
}

// Stats returns the bridge's counts.
func (b *Bridge) Stats() Stats {
	ended := b.ended.Load()
	s := Stats{Spans: b.spans.Load(), Attempts: b.attempts.Load(), Late: b.late.Load()}
	s.Open = s.Spans - ended
	s.Ended = ended + b.attemptsEnded.Load()
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
	_ vmspan.AttemptSink = (*Bridge)(nil)
	_ vmspan.IDSink      = (*Bridge)(nil)
	_ vmspan.Flusher     = (*Bridge)(nil)
	_ vmspan.Retainer    = (*Bridge)(nil)
)
