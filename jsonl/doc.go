// Package jsonl writes and reads bex trace files: one JSON object per line,
// one line per span event, in the line format of the reference runtime so
// that existing readers keep working.
//
// # Format
//
// Every line has the reference keys, sorted alphabetically at every level:
//
//	{"call_id":"<span uuid>","call_stack":["<root uuid>",...,"<span uuid>"],
//	 "content":{"data":{...},"type":"function_start"|"function_end"|"intermediate"},
//	 "function_event_id":"<event uuid>","timestamp_epoch_ms":1770875826273}
//
// Start data is {"args":[...],"function_display_name":"Name","tags":{...}},
// end data {"duration_ms":20,"function_display_name":"Name","result":...},
// and set-tags data {"SetTags":{"env":"test"}}. A start line as written:
//
//	{"call_id":"00000000-0000-7000-8000-000000000001","call_stack":["00000000-0000-7000-8000-000000000001"],"content":{"data":{"arg_names":["body"],"args":["printer on fire"],"function_display_name":"Triage","span_kind":"root","tags":{}},"type":"function_start"},"function_event_id":"00000000-0000-7000-8000-000000000002","timestamp_epoch_ms":1770876000001,"timestamp_unix_nano":1770876000001000000,"trace_id":"a47779e04744ec8657a6e2126e3015ba"}
//
// bex adds keys and never renames one:
//   - on every line, "trace_id" (the OpenTelemetry trace id, 32 hex digits)
//     and "timestamp_unix_nano" (the same wall time in nanoseconds);
//   - in start data, "arg_names" (the argument names in declaration order;
//     "args" stays a positional array) and "span_kind";
//   - in end data, "span_kind", "duration_ns" and "start_unix_nano" (so
//     that a replay reproduces exact timings), "error" ({"message","type"};
//     "result" is then null; "code", the OpenTelemetry error.type code,
//     when the error has one; and "content_free": true when the message
//     quotes no content, else "summary", the message without the values it
//     quotes, see vmspan.ErrorSummary) on a failed span and a failed
//     attempt, and "llm_calls" on an LLM
//     function span: its provider attempts with client, provider, model,
//     timing, usage ({"cache_creation_input_tokens","cached_input_tokens",
//     "input_tokens","output_tokens","reasoning_tokens"} with the meaning
//     of vmspan.Usage, null when not reported), finish reason, selected,
//     the redacted HTTP request and response, and "parse_notes" (what
//     coercing the reply to the return type lost:
//     [{"detail","kind","path"}], see vmspan.ParseNote), "checks" (the
//     outcomes of the return type's @check constraints:
//     [{"expression","name","path","status"}], status "succeeded" or
//     "failed", see vmspan.CheckResult) and "dynamic_types" (what the
//     call's type builder added to the return type's @@dynamic classes and
//     enums, "Class.field" or "Enum.VALUE") when there are any, and
//     "stream" on a streamed attempt ({"chunks", "events" (only when
//     recorded: engine.WithStreamEvents), "first_chunk_ms",
//     "first_chunk_ns"}: its chunks of text and time to first chunk);
//   - intermediate lines {"Partial": value}: a partial value of an LLM
//     span's result while its reply streamed (vmspan.EventPartial), written
//     only when asked for (engine.WithPartialEvents, bex run
//     --partial-events) and at most that many per LLM call; a line with
//     "Partial" is a partial event even when its value is null;
//   - "otel" ({"parent_span_id","sampled","span_id","trace_id"}, hex) in the
//     end data of a span, and in an attempt, that a live OpenTelemetry
//     bridge exported: the ids it used, so that a replay (bex trace export)
//     reproduces them whatever ids the live provider chose;
//   - "traceparent" (W3C, version 00), and "tracestate" when the parent
//     has one, on the start and end lines of a span whose parent is a
//     remote OpenTelemetry span.
//
// Values are JSON values; a class instance is an object holding
// "__class":"<Name>" and its fields, an enum value is
// {"__enum":"<Enum>","value":"<Variant>"}, and durations are whole
// milliseconds. Strings escape only '"', '\' and control characters, and
// invalid UTF-8 becomes U+FFFD. Floats are formatted as encoding/json
// formats them (NaN and infinities become null) with ".0" added to integral
// values, as the reference does, so that a reader tells 2.0 from 2.
//
// # Writing: durability and drops
//
// A Writer never loses an event without counting it. Emit encodes the
// event (on the caller's goroutine, without holding the Writer's lock),
// appends the line to a buffer under a mutex and, once the buffer holds
// WithBufferSize bytes (64 KiB), writes it before returning. The write is
// made without the lock: other callers fill a second buffer meanwhile, and
// wait only when that one is full too, so a slow disk slows the callers
// down instead of losing events. Flush writes the buffer
// and, for files from Open, calls fsync; after it returns nil, everything
// emitted before the call is on stable storage. With WithFlushInterval (on
// by default for Open, every second) a background goroutine also writes the
// buffer, so a crashed process loses at most about that much; Close stops
// it.
//
// When a write fails, the unwritten bytes stay buffered and are retried
// (after another buffer's worth of events, at every Flush and by the
// background flush); the error is kept for Err and counted in
// Stats.WriteErrors. Only when the buffer has grown to WithMaxBuffered
// (64 MiB) are further events dropped, and events emitted after Close are
// dropped too: both are counted in Stats.Dropped, and Flush and Close
// report them. In normal operation Dropped is 0.
//
// # Reading
//
// Read and ReadFile stream events back as an iter.Seq2, one line at a
// time, with memory bounded by the longest line (MaxLineSize) and the spans
// open at a point of the file. Lines as the Writer writes them take a
// decoder made for the format (over a million events per second on one
// core); every other line is decoded by encoding/json, and a differential
// test and fuzz target hold the two to the same results. A malformed line yields a *LineError with
// its line number and reading continues. Files in the pure reference
// format are read too: argument names default to arg0, arg1, ...; span
// kinds to 0; times and durations to milliseconds; and trace ids to those
// the live OpenTelemetry bridge would have used. An error without
// "content_free" or "summary" (a file written before they were) is read
// with an empty vmspan.ErrorInfo.Summary: its message is not known to be
// free of content, and an export with content capture off withholds it.
//
// # Content
//
// A trace file stays where it is written: it keeps arguments, results,
// prompts, completions and whole error messages (all redacted of
// secrets), whereas the OpenTelemetry bridge exports them only with
// content capture on. Exporting a file (bex trace export) follows the
// bridge's switch, with the recorded summaries standing in for error
// messages.
package jsonl
