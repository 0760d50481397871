// Package otelbridge maps bex spans to OpenTelemetry spans and sets up OTLP
// export.
//
// A Bridge is a vmspan.Sink: install it in a vmspan.Tracer (bex.Setup does
// when OTEL_EXPORTER_OTLP_* is set) and every bex span becomes an OTel span
// of the application's TracerProvider, or of one built by NewProvider:
//
//	tp, err := otelbridge.NewProvider(ctx) // OTLP, configured by OTEL_* variables
//	if err != nil { ... }
//	defer tp.Shutdown(context.Background())
//	vmspan.SetDefault(vmspan.NewTracer(otelbridge.New(otelbridge.WithTracerProvider(tp))))
//
// Export replays a recorded event stream (a trace file) through the same
// mapping, reproducing the ids that the live bridge sent.
//
// # Mapping
//
// Each bex span becomes one OTel span, created when its start event arrives
// (so its span context exists while its children start) and ended when its
// end event arrives:
//
//   - name: Event.Name (the function or host span name);
//   - kind: INTERNAL, for every bex span kind (root, llm, expr,
//     host-function, host-span);
//   - start time: the start event's Time; end time: the end event's
//     Start + Duration (the monotonic duration); both are passed
//     explicitly with trace.WithTimestamp;
//   - parent: the remote parent (Event.Remote, the application's OTel span
//     that was in ctx) when set; else the open OTel span of the bex parent
//     (Event.Span.Parent); else, when the bridge never saw the parent start,
//     the parent's deterministic span context (below, sampled); a tree
//     root without a remote parent starts a new trace;
//   - attributes: bex.span_id (the bex span id, a UUID string),
//     bex.function.name, bex.span.kind (Kind.String()), bex.args (the
//     arguments as one JSON object, name to value, in declaration order;
//     omitted when there are none), bex.result (the result as JSON; omitted
//     when nil or on error), and each tag as bex.tag.<key> (tags set while
//     the span runs are added at once);
//   - values in JSON: the trace form of package vmspan/spanjson, the same
//     text as in trace files (a class instance is an object holding
//     "__class", an enum value is {"__enum": ..., "value": ...}, keys are
//     sorted, a float keeps its ".0", NaN is null);
//   - redaction: the value of every argument, map key, class field or tag
//     whose name vmspan.IsSecretKey reports as secret is vmspan.Redacted;
//     values vmspan already redacted stay redacted;
//   - size: argument, result, tag and message values are cut at
//     WithMaxAttributeSize bytes (default 4 KiB) and end with
//     TruncatedMarker;
//   - errors: status Error with the error message, error.type set to the bex
//     error type, and an "exception" event (exception.type,
//     exception.message) at the end time;
//   - LLM functions: bex.llm.attempts and the usage summed over attempts
//     (gen_ai.usage.input_tokens, gen_ai.usage.output_tokens,
//     gen_ai.usage.cache_read.input_tokens; only the counts some attempt
//     reported), and when coercing the reply lost data (the attempts'
//     vmspan.ParseNotes), the number of notes of each kind:
//     bex.parse.dropped, bex.parse.defaulted, bex.parse.rounded,
//     bex.parse.truncated (each only when not zero); with content capture
//     also bex.parse.notes, the notes as text (they quote the reply);
//     when the return type has @check constraints (the attempts'
//     vmspan.CheckResults), bex.checks.passed and bex.checks.failed (the
//     counts) and bex.checks.failed_names (the failed checks' names
//     qualified by their paths, such as "items[0].short"); names, paths
//     and expressions are schema, never the checked values, so they are
//     set whether content capture is on or not; when the call's type
//     builder extended the return type's @@dynamic classes or enums
//     (vmspan.LLMAttempt.DynamicTypes), bex.types.dynamic (the names of
//     those classes and enums) and, with content capture, the additions
//     themselves as bex.types.dynamic.members ("Class.field",
//     "Enum.VALUE": values loaded at run time may be data).
//
// Each provider attempt of an LLM function (Event.Attempts of its end event)
// becomes a child span of the function's span, kind CLIENT, named
// "chat <model>", from the attempt's start for its duration, with the GenAI
// semantic-convention attributes: gen_ai.operation.name ("chat"),
// gen_ai.provider.name, gen_ai.request.model, gen_ai.response.model,
// gen_ai.response.id, gen_ai.request.temperature, gen_ai.request.max_tokens,
// gen_ai.usage.input_tokens, gen_ai.usage.output_tokens,
// gen_ai.usage.cache_read.input_tokens, gen_ai.response.finish_reasons,
// server.address, server.port, and bex.llm.client and bex.llm.selected; a
// failed attempt gets error.type, status Error and an exception event. With
// WithContentCapture(true) it also gets gen_ai.input.messages and
// gen_ai.output.messages, JSON in the GenAI message shape
// ([{"role":"user","parts":[{"type":"text","content":"..."}]}]). The
// HTTP request and response records are not exported.
//
// Ids are a pure function of bex ids (package vmspan documents the hashes):
//
//   - trace id: Event.TraceID, that is the remote parent's trace id when the
//     tree joined a remote trace, else vmspan.OTelTraceID(root span id);
//   - span id of a bex span: vmspan.OTelSpanID(span id);
//   - span id of attempt n (0-based) of an LLM span: vmspan.AttemptSpanID(span id, n).
//
// A provider uses them when it has IDGenerator (sdktrace.WithIDGenerator;
// NewProvider installs it): the bridge passes the ids it wants to
// tracer.Start in the ctx, and the generator gives every other span random
// ids.
//
// Code running inside a bex span gets, through ContextFor (which
// vmspan.Span.Context calls), a ctx whose current OTel span is the bex span's
// OTel span: spans that a host function starts from it are children of the
// bex span, and the W3C propagator sends its traceparent.
//
// # Delivery and drops
//
// NewProvider exports through a batch processor with a 65,536-span queue and
// 2,048-span batches. The SDK's processor drops spans silently when its queue
// is full; a Provider instead counts every span on its way: a span that
// finds the queue full waits up to one second (WithQueueFullWait) for an
// export to make room and is then dropped and counted, and while the
// exporter is that far behind later spans are dropped at once, so an
// exporter that is down slows callers by at most one wait per export
// attempt. Batches the exporter fails to send, after its own retries, are
// counted too. Provider.Stats and Bridge.Stats report them
// (DeliveryStats.Dropped). Shutdown exports what is queued, bounded by a
// deadline.
//
// # Limitations
//
//   - A span whose parent started before the bridge was attached (or was
//     never seen) gets the parent's deterministic span context as its
//     parent. With IDGenerator that is the right parent; without it the
//     parent's real id was random and the link is broken. Such a rebuilt
//     parent is marked sampled, so a ratio sampler's decision for its
//     trace is not known to the child.
//   - A span whose start was not seen is created at its end, from the start
//     time, arguments and tags the end event repeats (counted as Late).
//   - A provider without IDGenerator gives random ids: parents are still
//     right (they come from the open spans), but the ids differ from those
//     of a replay, and a replay of a trace whose spans were already sent
//     creates a second copy of the trace.
//   - A span started after its bex parent ended (a goroutine that outlives
//     its parent) gets the parent's deterministic span context, as above.
//   - Attribute values are cut at the size limit (default 4 KiB, below
//     which Tempo's 2 KB truncation may still apply); a cut JSON value is no
//     longer valid JSON.
//   - Prompt and completion content are not exported unless
//     WithContentCapture(true); secret redaction is by key name only: a
//     secret inside a prompt or a free-form string is exported as it is.
//   - Export sends spans again even when the live bridge already sent
//     them: with IDGenerator they carry the same ids, and backends show
//     them twice or merge them, as they do with any duplicate span.
//   - Export ends a span whose end is missing from the trace file at the
//     latest time in the file, with status Error "span not ended in trace
//     file".
//   - OTLP partial successes (a backend rejecting some spans of an accepted
//     batch) are reported by the exporter to otel.Handle, not counted.
package otelbridge
