// Package cli is the bex command: its commands, their flags and their
// output, as a library that tests drive in-process. cmd/bex's main only
// calls Main.
//
// The shape follows Jaeger's commands: each command has a Config (CheckConfig,
// RunConfig, TestConfig, ViewConfig, StatsConfig, ExportConfig, DisasmConfig,
// VersionConfig) whose Flags method registers its flags on a standard
// flag.FlagSet, and Run executes one command line against the streams it is
// given and returns the exit status:
//
//	code := cli.Run(ctx, []string{"trace", "view", "trace.jsonl"}, os.Stdin, os.Stdout, os.Stderr)
//
// Flags may come before, between or after the positional arguments
// ("bex run DIR FN --arg n=1"); "--" ends the flags. Every command accepts
// -h and --help. Exit statuses: ExitOK (0), ExitError (1: compile errors, a
// failed call, malformed trace lines, undelivered spans in trace export),
// ExitUsage (2: unknown command, missing arguments, bad flag or --arg
// value).
//
// # Commands
//
//   - check DIR|FILE...: parse and compile, print every error as
//     file:line:col: message on stderr;
//   - run DIR|FILE FUNCTION: run one function, print its result as JSON on
//     stdout; --arg values are converted by the parameter's declared type;
//     traces go to a JSONL file and OTLP through bex.Setup; --collector
//     prints the call's Collector summary on stderr; --types adds dynamic
//     types; @check outcomes and parse notes go to stderr;
//   - test [DIR]: run the program's test blocks (engine.RunTest), a line per
//     test, a summary, a progress line on a terminal; -run, -parallel,
//     --client, --junit (JUnit XML), --jsonl/--otlp (a root span per test);
//   - trace view FILE: the span trees, with durations, status, tokens and
//     LLM attempts;
//   - trace stats FILE: counts, duration percentiles per function, tokens
//     per model, unbalanced spans;
//   - trace export FILE: replay a trace file over OTLP with the ids the
//     live bridge uses (otelbridge.Export);
//   - disasm DIR|FILE [FUNCTION]: the bytecode listing;
//   - version.
//
// The documentation of cmd/bex and docs/cli.md show each command's output.
//
// # Exporters and the process
//
// bex run sets the default tracer with bex.Setup and restores it when it
// ends, so one Run at a time may use it. Commands that export over OTLP
// install, once per process, an OpenTelemetry error handler that passes the
// SDK's export errors to the running command, which reports them with its
// delivery counts (outside such a command they are logged, as the SDK's
// default handler does). Tests therefore do not run commands in parallel.
// An App carries the clock and span id source that tests replace to make
// traces and summaries deterministic.
package cli
