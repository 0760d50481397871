// Command bex runs bex programs (BAML-style .baml files) and inspects and
// exports their traces.
//
//	go install github.com/bexrun/bex/cmd/bex@latest
//
// Usage:
//
//	bex check DIR|FILE...                 parse and compile, report every error
//	bex run DIR|FILE FUNCTION [flags]     run one function, print its result as JSON
//	bex test [DIR] [flags]                run the program's test blocks (JUnit XML with --junit)
//	bex trace view FILE.jsonl [flags]     the span trees of a trace file
//	bex trace stats FILE.jsonl [flags]    counts, duration percentiles, tokens, unbalanced spans
//	bex trace export FILE.jsonl [flags]   send a trace file over OTLP
//	bex disasm DIR|FILE [FUNCTION]        the bytecode listing
//	bex version
//
// Every command takes -h or --help. Flags may come anywhere on the line.
// The exit status is 0 on success, 1 when the command failed (compile
// errors, a failed call, malformed trace lines, spans that trace export
// could not deliver) and 2 for a bad command line. docs/cli.md describes
// every flag; the logic lives in package internal/cli.
//
// # Check
//
// Errors, type errors included, go to stderr as file:line:col: message, all
// of them, with the warnings (file:line:col: warning: message):
//
//	$ bex check broken
//	broken/types.baml:3:7: unknown type Unknown
//	broken/types.baml:6:5: undefined function Nope
//	broken/types.baml:6:21: Callee takes 1 argument, got 2
//	broken/types.baml:10:9: type mismatch: variable 'n' annotated as int but got string
//	(exit status 1)
//
// # Run
//
// bex run prints the result as JSON on stdout and nothing else there.
// --arg values are converted by the parameter's declared type (n=27 is an
// int for "n: int", a string for "n: string"; lists, maps and classes are
// JSON); --args-json takes all arguments as one JSON object. --collector
// prints the call's summary on stderr:
//
//	$ bex run baml_src Triage --arg body="The checkout page is down for all users." --jsonl trace.jsonl --collector
//	call Triage (span 01a201b7-80e7-7293-94d6-a67ffff3445b)
//	  status:   ok
//	  duration: 4.3ms
//	  spans:    4
//	  tokens:   46 input, 27 output, 0 cached input
//	  LLM calls: 4
//	    #  FUNCTION        CLIENT  PROVIDER   MODEL             DURATION  IN  OUT  CACHED  STATUS
//	    1  ClassifyTicket  Fast    openai     gpt-4o-mini       1.04ms    -   -    -       error: LLMHTTPError: client Fast (openai): HTTP 500: overloaded
//	    2  ClassifyTicket  Fast    openai     gpt-4o-mini       457µs     -   -    -       error: LLMHTTPError: client Fast (openai): HTTP 500: overloaded
//	    3  ClassifyTicket  Backup  anthropic  claude-haiku-4-5  406µs     34  19   0       ok, selected
//	    4  Headline        Fast    openai     gpt-4o-mini       347µs     12  8    0       ok, selected
//	"The checkout page is down for all users [The checkout page is down for all users] (score 13)"
//
// Spans go to a JSONL trace file (--jsonl or BEX_TRACE_FILE) and over OTLP
// when OTEL_EXPORTER_OTLP_ENDPOINT is set (or with --otlp), configured by
// the standard OTEL_* variables; the engine's root span is the trace's root
// (or a child of TRACEPARENT when that is set). bex flushes and shuts the
// exporters down before it exits, within --shutdown-timeout (5s). An
// unreachable OTLP endpoint does not fail the run:
//
//	$ OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4999 bex run baml_src Score --arg a=1 --arg b=2 --shutdown-timeout 2s
//	12
//	bex run: OTLP export to http://localhost:4999: 1 of 1 spans not delivered within the 2s shutdown timeout (is the endpoint reachable?)
//
// A run-time error prints the bex stack and exits with status 1:
//
//	$ bex run baml_src Triage --arg body="garbage in" --jsonl trace.jsonl
//	bex run: Triage: cannot parse LLM output of ClassifyTicket: want Ticket, got "I cannot help with that."; reply starts: "I cannot help with that."
//	  at ClassifyTicket (baml_src/pipeline.baml:5:10)
//	  at Triage (baml_src/pipeline.baml:23:13)
//	(exit status 1)
//
// # Trace view, stats and export
//
//	$ bex trace view trace.jsonl
//	trace 59b3bd0627b7b77ab4fac3351028dbbc  root 01a201b7-80e7-7293-94d6-a67ffff3445b  2026-11-22 05:25:33.031 UTC  4 spans
//	Triage                                   root     4.3ms                  ok
//	├─ ClassifyTicket                        llm      3.62ms  34 in, 19 out  ok
//	│  ├─ Fast openai/gpt-4o-mini            attempt  1.04ms                 error: LLMHTTPError: client Fast (openai): HTTP 500: overloaded
//	│  ├─ Fast openai/gpt-4o-mini            attempt  457µs                  error: LLMHTTPError: client Fast (openai): HTTP 500: overloaded
//	│  └─ Backup anthropic/claude-haiku-4-5  attempt  406µs   34 in, 19 out  ok, selected
//	└─ Enrich                                expr     622µs                  ok
//	   └─ Headline                           llm      596µs   12 in, 8 out   ok
//	      └─ Fast openai/gpt-4o-mini         attempt  347µs   12 in, 8 out   ok, selected
//	...
//
// Errors are red when stdout is a terminal (--color=auto|always|never;
// NO_COLOR is honoured), --trace picks one trace by root span id or OTel
// trace id (a unique prefix is enough), --values adds arguments and
// results, and spans that never ended show as "(not ended)". bex trace
// stats prints counts by kind, p50/p90/p99/max durations per function,
// tokens per model and the unbalanced spans; both read files in the
// reference format too, and report malformed lines on stderr as
// FILE:LINE: message without stopping.
//
// bex trace export replays a file through the OpenTelemetry bridge, so the
// backend gets the trace and span ids that live export gives:
//
//	$ OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 bex trace export trace.jsonl
//	exported 11 of 11 spans (6 bex spans, 5 LLM attempts) of 2 traces to http://localhost:4317
//
// It exits with status 1 when any span was not delivered.
package main
