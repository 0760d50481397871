// Package otelbridge maps bex spans to OpenTelemetry spans, records the
// GenAI client metrics of LLM attempts, and sets up OTLP export.
//
// A Bridge is a vmspan.Sink: install it in a vmspan.Tracer (bex.Setup does)
// and every bex span becomes an OTel span of the application's
// TracerProvider (the global one by default, or the one given with
// WithTracerProvider), or of one built by NewProvider; every LLM attempt
// becomes a live CLIENT span whose trace context its request carries:
//
//	tp, err := otelbridge.NewProvider(ctx) // exporter chosen by the OTEL_* variables
//	if err != nil { ... }
//	defer tp.Shutdown(context.Background())
//	vmspan.SetDefault(vmspan.NewTracer(otelbridge.New(otelbridge.WithTracerProvider(tp))))
//
// The bridge changes no process-wide state: it uses the provider it is
// given or the global one, and LLM requests are injected by the propagator
// the LLM runtime is configured with (the global one by default). Export
// replays a recorded event stream (a trace file) through the same mapping,
// reproducing the ids of the live export.
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
//     that was in ctx, with its tracestate) when set; else the open OTel
//     span of the bex parent (Event.Span.Parent); else, when the bridge
//     never saw the parent start, the parent's deterministic span context
//     (below, sampled); a tree root without a remote parent starts a new
//     trace;
//   - tracer: scope TracerName, version Version(), schema URL of the
//     semantic conventions v1.41.0 (go.opentelemetry.io/otel/semconv/v1.41.0,
//     whose keys the bridge uses);
//   - attributes: bex.span_id (the bex span id, a UUID string),
//     bex.function.name, bex.span.kind (Kind.String()), and each tag as
//     bex.tag.<key> (tags set while the span runs are added at once); tags
//     named session_id, user_id and conversation_id also set session.id,
//     user.id and gen_ai.conversation.id;
//   - content, only with content capture on (WithContentCapture, or the
//     environment variable ContentCaptureEnv=true; off by default, since
//     arguments are prompt variables): bex.args (the arguments as one JSON
//     object, name to value, in declaration order; omitted when there are
//     none) and bex.result (the result as JSON; omitted when nil or on
//     error);
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
//   - errors: status Error with the error's message; error.type, the
//     error's code (vmspan.ErrorInfo.Code: an HTTP status, a provider's
//     error code, "timeout") or else its bex type; bex.error.type, the bex
//     type; and one "exception" event (exception.type, exception.message)
//     at the end time, on the span where the error arose only: a span
//     whose error holds the message of the error its last failing child (a
//     bex span or an attempt) ended with has the status but no event of
//     its own. Messages quote content (the start of a reply that cannot be
//     parsed, the value that failed an @assert, a provider's message that
//     echoes the prompt, a string the program could not convert), so the
//     status description and exception.message are the whole message only
//     with content capture on; with it off they are the error's summary
//     (vmspan.ErrorInfo.Summary, see vmspan.ErrorSummary: "cannot parse
//     LLM output of F: want int, got a string", "client Fast (openai):
//     HTTP 400"), on every failed ancestor too;
//   - LLM functions: bex.llm.attempts and the usage summed over attempts as
//     bex.usage.input_tokens, bex.usage.output_tokens,
//     bex.usage.cache_read.input_tokens,
//     bex.usage.cache_creation.input_tokens and
//     bex.usage.reasoning.output_tokens (only the counts some attempt
//     reported; gen_ai.usage.* is on the attempt spans only, so that a
//     backend summing it over a trace counts each token once), and when
//     coercing the reply lost data (the attempts' vmspan.ParseNotes), the
//     number of notes of each kind: bex.parse.dropped, bex.parse.defaulted,
//     bex.parse.rounded, bex.parse.truncated (each only when not zero);
//     with content capture also bex.parse.notes, the notes as text (they
//     quote the reply); when the return type has @check constraints (the
//     attempts' vmspan.CheckResults), bex.checks.passed and
//     bex.checks.failed (the counts) and bex.checks.failed_names (the failed
//     checks' names qualified by their paths, such as "items[0].short");
//     names, paths and expressions are schema, never the checked values, so
//     they are set whether content capture is on or not; when the call's
//     type builder extended the return type's @@dynamic classes or enums
//     (vmspan.LLMAttempt.DynamicTypes), bex.types.dynamic (the names of
//     those classes and enums) and, with content capture, the additions
//     themselves as bex.types.dynamic.members ("Class.field",
//     "Enum.VALUE": values loaded at run time may be data).
//
// Each provider attempt of an LLM function is a CLIENT span, child of the
// function's span, named "chat <model>". The LLM runtime starts it live
// (vmspan.StartAttempt, see StartAttempt) before the attempt's request and
// makes the request with a ctx that carries it, so that the propagator
// names it, with its sampling decision, and an otelhttp transport's span
// is its child; it ends when the attempt ends (retries and fallbacks: one
// span each). It has the GenAI semantic-convention attributes of the
// pinned semconv package: at the start, what a sampler may see —
// gen_ai.operation.name ("chat"), gen_ai.provider.name (the conventions'
// well-known value, see vmspan.GenAIProviderName), gen_ai.request.model,
// gen_ai.request.temperature, gen_ai.request.max_tokens,
// gen_ai.request.stream (true for a streamed reply), server.address,
// server.port, bex.llm.client; at the end gen_ai.response.model,
// gen_ai.response.id, gen_ai.response.finish_reasons, the usage with the
// conventions' meaning (vmspan.Usage: gen_ai.usage.input_tokens including
// cached tokens, gen_ai.usage.output_tokens,
// gen_ai.usage.cache_read.input_tokens,
// gen_ai.usage.cache_creation.input_tokens,
// gen_ai.usage.reasoning.output_tokens, where reported) and
// bex.llm.selected; a streamed attempt also gets
// gen_ai.response.time_to_first_chunk (seconds from the request to the
// first chunk of output text, the conventions' attribute), bex.llm.chunks
// (the chunks of text received) and one span event, EventFirstChunk, at
// the time the first chunk arrived (never an event per chunk); a failed
// attempt gets status Error, error.type (the
// HTTP status code, the provider's error code, "timeout", or "_OTHER"),
// bex.error.type and an exception event. With content capture on it also
// gets gen_ai.input.messages and gen_ai.output.messages, JSON in the GenAI
// message shape ([{"role":"user","parts":[{"type":"text","content":"..."}]}];
// output messages with their finish_reason), and, for providers that take
// system instructions apart from the chat (Anthropic, Gemini, Vertex AI,
// Bedrock), gen_ai.system_instructions ([{"type":"text","content":"..."}]),
// the system messages then being left out of gen_ai.input.messages. The
// HTTP request and response records are never exported. Attempts that an
// end event records but no live span followed (from an LLM runtime that
// does not start them, or a replay) are created from their record at the
// function's end.
//
// Ids. The span ids are the provider's choice. With bex's own provider
// (IDGenerator; NewProvider installs it) they are a pure function of bex
// ids (package vmspan documents the hashes):
//
//   - trace id: Event.TraceID, that is the remote parent's trace id when the
//     tree joined a remote trace, else vmspan.OTelTraceID(root span id);
//   - span id of a bex span: vmspan.OTelSpanID(span id);
//   - span id of attempt n (0-based) of an LLM span: vmspan.AttemptSpanID(span id, n).
//
// With any other provider (the application's, random ids), the bridge is a
// vmspan.IDSink: the tracer records in each end event the ids the live span
// was exported with (Event.OTel), and the LLM runtime those of each attempt
// (LLMAttempt.OTel), so that a trace file written beside the bridge keeps
// them and Export reproduces them.
//
// Code running inside a bex span gets, through ContextFor (which
// vmspan.Span.Context calls), a ctx whose current OTel span is the bex span's
// OTel span: spans that a host function starts from it are children of the
// bex span.
//
// # Metrics
//
// The bridge records, once for each live LLM attempt when the attempt ends,
// the GenAI client metrics of the semantic conventions (semconv v1.41.0,
// through its genaiconv helpers), with the MeterProvider given with
// WithMeterProvider or the global one:
//
//	gen_ai.client.operation.duration  histogram, s, buckets DurationBuckets (0.01 … 81.92)
//	gen_ai.client.token.usage         histogram, {token}, buckets TokenUsageBuckets (1, 4, 16, … 67108864)
//	gen_ai.client.operation.time_to_first_chunk  histogram, s, buckets DurationBuckets
//
// with the attributes gen_ai.operation.name (chat), gen_ai.provider.name
// (the conventions' well-known value), gen_ai.request.model,
// gen_ai.response.model, server.address and server.port, as known;
// token usage adds gen_ai.token.type (input, counting cached input tokens
// as the conventions say, or output) and is recorded only when the
// provider reported the count; a failed attempt's duration adds error.type
// (the HTTP status code, the provider's error code, timeout, or _OTHER).
// The buckets are given as advice, so an SDK view may change them. The
// instruments' scope is MeterName with bex's version and the conventions'
// schema URL. Time to first chunk is recorded for streamed attempts that
// received a chunk, with the attributes of the duration (no error.type).
// Attempts recorded without a live span (an LLM double) and replays
// (Export) record no metrics.
//
// bex.ObserveHealth adds bex's health instruments (spans started, ended and
// dropped by the bridge, the export queue, events written and dropped by
// the trace file), read from Bridge.Stats and jsonl.Writer.Stats.
//
// # Setup
//
// NewProvider builds an SDK provider whose exporter
// go.opentelemetry.io/contrib/exporters/autoexport chooses from the
// environment (OTEL_TRACES_EXPORTER otlp, console or none; OTLP over
// http/protobuf by default, every OTEL_EXPORTER_OTLP_* variable), with the
// resource of the SDK's detectors (unknown_service:<executable> unless
// named), and no exporter when OTEL_SDK_DISABLED=true. NewMeterProvider
// builds the metrics counterpart from OTEL_METRICS_EXPORTER (otlp, console,
// prometheus, none) and the same OTLP variables, with the same resource.
// bex.Setup uses them only when the application has no provider of its own.
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
// deadline. With the application's provider, its own processors decide,
// and bex does not count.
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
//   - A span started after its bex parent ended (a goroutine that outlives
//     its parent) gets the parent's deterministic span context, as above.
//   - Attempts recorded without a live span (an LLM double given to the
//     engine) are created at their function's end; under a provider with
//     random ids their ids are not recorded, so a replay gives them other
//     ids.
//   - The live attempt span of a successful attempt ends once its output is
//     parsed (so that it records whether it was selected), with the end
//     time of its HTTP exchange.
//   - "Where the error arose" is decided by messages: a span that fails
//     with an error of its own after a child failed is taken to fail with
//     the child's error when its message holds the child's.
//   - Export sends the spans again even when the live bridge already sent
//     them: with the recorded or deterministic ids they carry the same ids,
//     and backends show them twice or merge them, as they do with any
//     duplicate span. Spans the live sampler dropped (recorded as not
//     sampled) are not sent; spans whose end is missing from the file are
//     sent ending at the file's latest time, with status Error "span not
//     ended in trace file", and their ids derived, not recorded.
//   - A trace file written before error summaries were recorded (no
//     "content_free" or "summary" in its errors) exports, with content
//     capture off, each failed span's error type and the fixed text
//     "message withheld: content capture is off and the trace file has no
//     summary of it" instead of its message, which cannot be known to be
//     free of content.
//   - Attribute values are cut at the size limit (default 4 KiB, below
//     which Tempo's 2 KB truncation may still apply); a cut JSON value is no
//     longer valid JSON.
//   - Secret redaction is by key name, and by the literal values of the
//     API keys and secret headers the LLM runtime knows: a secret of
//     another kind inside a prompt or a free-form string is exported as it
//     is when content capture is on.
//   - Two bridges in one tracer both follow every attempt, but the request
//     carries, and the trace file records, the ids of the last one's
//     attempt span only.
//   - OTLP partial successes (a backend rejecting some spans of an accepted
//     batch) are reported by the exporter to otel.Handle, not counted.
package otelbridge
