// Package vmspan defines bex's span model: span ids, span contexts, the events
// that describe spans, the Sink interface that receives them, host spans (the
// Go analogue of a @trace decorator), and the small protocol through which the
// VM tells the engine that it enters and leaves traced frames.
//
// # Events and sinks
//
// Every span produces exactly one start Event and exactly one end Event, plus
// any number of set-tags Events in between. An Event is a value type, in the
// style of log/slog's Record, lent to Sink.Emit by pointer for the duration
// of the call: a span holds its own Event, emits it as its start event, and
// then sets the fields an end changes and emits it again, so neither event
// is built from scratch or copied on its way to the sinks. A sink that keeps
// an event copies it (*e), as a slog.Handler that keeps a Record clones it.
// The slices and maps an Event references (Stack, Args, Tags, Attempts) are
// never modified after emission, so a sink may keep them. A sink that keeps
// nothing of an Event's Stack and Args slices once Emit returns says so by
// implementing Retainer; when every sink of a call says so, the engine
// reuses the memory of ended traced frames (see FrameTracker), which makes a
// traced call allocation-free. Discard, jsonl's Writer, otelbridge's Bridge
// and collector's Collector (which keeps copies of what it retains) say so.
//
// A Tracer owns a Sink, an id source and a clock. The default Tracer is set
// once at start-up with SetDefault (bex.Setup does this from the environment),
// in the manner of otel.SetTracerProvider. The initial default Tracer has no
// sink, and a Tracer without a sink does no work at all: Start returns the
// context unchanged and a no-op *Span.
//
// # Host spans
//
//	ctx, span := vmspan.Start(ctx, "HandleRequest", "user", userID)
//	defer func() { span.End(result, err) }()
//	vmspan.SetTags(ctx, "env", "prod")
//
// Host spans nest through ctx, and an engine call made with ctx puts its root
// span under the innermost host span. Tags are scoped per span: a span starts
// with its parent's tags, and a tag set on a span reaches its later children
// but never its siblings or its parent.
//
// # Remote parents
//
// When ctx carries an OpenTelemetry span that bex did not create (the
// application's own span), a span started from ctx records it as its remote
// parent, and the whole bex tree below it joins that span's trace.
//
// # Deterministic OpenTelemetry ids
//
// OTelTraceID, OTelSpanID and AttemptSpanID map bex span ids to
// OpenTelemetry ids with SHA-256, so that exporting a trace file later
// reproduces exactly the trace that a live bridge with bex's id generator
// sent. Hashing (rather than reusing UUID bytes) keeps ratio-based samplers
// fair: they read trace-id bytes that UUIDs fix. Under a provider that
// chooses its own ids (the application's), the bridge is an IDSink: the
// tracer records in each end event the ids it used (Event.OTel), so that a
// trace file keeps them.
//
// # LLM attempts
//
// An LLM function's provider attempts are not spans of the native trace:
// its span's end event records them (Event.Attempts). Sinks that want to
// follow them as they happen implement AttemptSink: the LLM layer calls
// StartAttempt before each request, which gives it the ctx to make the
// request with (the OpenTelemetry bridge puts the attempt's live span
// there, for the propagator and an instrumented HTTP client), and
// Attempt.End when the attempt's record is complete. Further optional
// interfaces will carry more of an attempt (the events of a streamed one).
//
// # The frame protocol
//
// The VM reports entering and leaving traced frames through FrameHook, keyed
// by frame depth, at its call/return choke point; the engine owns ids, clocks
// and sinks. Leaving is reported on every path (return, error unwinding, a
// panicking host function, cancellation, step limit), innermost frame first.
// A FrameTracker is the FrameHook of one engine call: it starts and ends
// the traced frames' spans below the call's root span (Tracer.StartSpan)
// and gives code running in a frame a ctx that carries its span.
package vmspan
