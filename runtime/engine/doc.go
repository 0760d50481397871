// Package engine loads bex programs and runs their functions.
//
// Sources are parsed .baml files (LoadDir, LoadFiles, Parse); New compiles
// them, with the Go host functions they may call, into an Engine;
// Engine.Call runs one function:
//
//	prog, err := engine.LoadDir("baml_src")
//	eng, err := engine.New(prog, engine.WithHost(engine.HostFunc{
//		Name: "lookup", Params: []string{"id: int"}, Result: "string", Traced: true,
//		Fn: func(ctx context.Context, args []any) (any, error) { return db.Name(ctx, args[0].(int64)) },
//	}))
//	res, err := eng.Call(ctx, "Triage", map[string]any{"body": text})
//
// # Streaming
//
// Engine.Stream runs a function like Call and yields, as a Go iterator, the
// partial values of its LLM replies as they arrive, then its result (the
// value Call returns): typed partial values of the LLM function's return
// type, with BAML's semantic streaming (fields null until read, strings
// growing, numbers and enum values only whole, @stream.done,
// @stream.not_null, @stream.with_state). An expression function streams
// the LLM calls it waits on. A consumer that stops early cancels the
// provider request; see Stream and Partial.
//
// # Timeouts
//
// Provider requests are bounded by their client's timeouts (BAML's http
// options, finite defaults: see "Timeouts" in package llm); WithTimeouts
// sets stricter ones for one call, and llm.WithTimeouts (through
// WithLLMOptions) other defaults. A timeout fails the attempt with an
// *llm.TimeoutError, which the client's retry policy retries.
//
// # Invalid replies
//
// A reply that cannot be parsed into the LLM function's return type, or
// whose value fails an @assert, fails the function at once, as in BAML:
// retries and fallbacks are for failed requests. WithRetryInvalidReplies
// makes such a reply a failed attempt instead: retried under the client's
// retry_policy, and moved on from by a fallback (or a round-robin with a
// retry policy), each attempt recorded on the LLM span with its own error;
// when every attempt fails the call fails with the last one's error. A
// streamed call (Stream) whose partial values were already delivered is
// not retried, as for a dropped connection: another reply would not
// continue them.
//
// # Concurrency
//
// An Engine is immutable once built and safe for concurrent use: each Call
// runs on its own VM thread, and the spans of concurrent calls never mix.
//
// # Spans
//
// Every Call is a root span (kind root) — when anything listens: the
// engine's tracer (WithTracer, else vmspan.Default() at each call), sinks
// added with WithSink, or sinks attached to the call with WithCollector.
// The root's parent is the innermost bex span in ctx (a host span, or the
// span of a traced host function making a nested call), and its remote
// parent the caller's OpenTelemetry span when ctx holds one that bex did
// not create. LLM functions, expression functions marked @@trace and host
// functions registered with Traced are spans nested under their nearest
// traced ancestor; other functions run inside their caller's span. The
// attempts of an LLM function (retries, fallbacks) are recorded in its
// span's end event.
//
// Every span ends exactly once on every path — normal return, bex runtime
// error, a Go panic in a host function, cancellation of ctx, the step limit,
// the depth limit — and the end of a failed span carries the error. When
// nothing listens, Call builds no span and no event at all.
//
// # LLM clients and media
//
// A call may bring a client registry (WithClientRegistry) that adds or
// overrides clients and chooses the client of every LLM function the call
// runs, or just choose one (WithClient); the spans record the client used.
// Arguments of image, audio, pdf and video parameters may be given as a
// *vmspan.Media, a URL, or a {"url"} / {"base64", "media_type"} /
// {"file"} map (see llm.MediaFrom); spans record them by reference, never
// their bytes.
//
// LLM replies are coerced to the return type with BAML's rules (see
// "Output parsing" in package llm). When that loses data — a list element
// dropped, a number rounded, a missing list defaulted, a truncated reply —
// the value is returned as BAML returns it and the loss is recorded as
// parse notes on the LLM span's selected attempt; WithParseNotes also hands
// them to the caller, and WithStrictParsing makes such a reply an
// *llm.ParseError instead.
//
// # Checks, asserts and tests
//
// The @assert and @check constraints of an LLM function's return type are
// tested on the parsed reply (see "Checks and asserts" in package llm): a
// failing assert rejects the value (the call fails with an *llm.ParseError
// wrapping an *llm.AssertError, unless the value was a list element, map
// entry or optional field), and the outcomes of the checks are recorded on
// the LLM span's selected attempt; WithChecks also hands them to the
// caller. The @assert constraints of a function's parameters are tested on
// the arguments of Call (an *ArgError wrapping the *llm.AssertError) and of
// every LLM function call.
//
// Tests returns the program's test blocks, one TestCase per test and
// function, and RunTest runs one: the function with the test's arguments
// and type_builder, then the test's @@check and @@assert constraints; each
// test is traced as a host span named "Function::Test" (bex test runs
// them).
//
// # Dynamic types
//
// A TypeBuilder adds, for the calls made with WithTypes, fields to the
// program's @@dynamic classes, values to its @@dynamic enums, and new
// classes and enums; it is built from Go calls, BAML snippets or JSON and
// validated like declarations. The declarations never change: each call
// sees its additions in {{ ctx.output_format }}, in the parsing and
// coercion of replies, in the values it returns and in its spans.
//
// # Errors
//
// Load and compile errors carry file:line:col and are reported together, as
// a syntax.ErrorList: syntax errors, and the compiler's unknown names and
// type errors (the compiler checks types statically; see docs/language.md).
// Host function signatures are bex types resolved with the program's own
// (HostFunc.Params: "ids: int[]", "t: Ticket"). Warnings (what BAML only
// warns about) do not stop compilation: Engine.Warnings returns them.
// Call returns *UnknownFunctionError and *ArgError before starting any span;
// runtime errors are *vm.EvalError values carrying the bex call stack, which
// unwrap to their cause: context.Canceled or context.DeadlineExceeded,
// vm.ErrStepLimit, vm.ErrStackOverflow, *vm.PanicError, or an error of
// package llm (*llm.HTTPError, *llm.TimeoutError, *llm.ParseError, ...).
//
// # Limits
//
// A call stops with an error after DefaultMaxSteps VM steps (WithMaxSteps,
// WithCallMaxSteps; 0 is unlimited) or beyond DefaultMaxDepth nested bex
// calls (WithMaxDepth); cancellation of ctx is noticed within a bounded
// number of steps, and before every host or LLM call.
package engine
