// run.go holds bex run: one call, its result as JSON, its trace exported.

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/vm"
	"github.com/bexrun/bex/vmspan"
)

var runCommand = &command{
	name:    "run",
	args:    "DIR|FILE FUNCTION",
	summary: "run one function and print its result as JSON",
	help: `Run compiles the program in DIR (or the file FILE), calls FUNCTION with the
arguments given by --args-json and --arg, and prints the result as JSON on
stdout; nothing else is written to stdout. A --arg value is read by the
parameter's declared type: n=27 is an int for "n: int" and a string for
"n: string"; floats and bools are parsed; lists, maps and classes are JSON.

The call's spans go to a JSONL trace file (--jsonl, or BEX_TRACE_FILE) and to
OpenTelemetry over OTLP (--otlp, or when OTEL_EXPORTER_OTLP_ENDPOINT is
set; configured by the standard OTEL_* variables, http/protobuf by default).
With OTLP on, LLM requests carry the W3C trace context of their attempt's
span. Prompts, completions, arguments and results go on the OpenTelemetry
spans only with --capture-content (or
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true); the trace file
keeps arguments and results either way. The engine's root span is the
trace's root; with TRACEPARENT set (W3C format) it joins that trace.
Exporters are flushed and shut down before bex exits, within
--shutdown-timeout; spans OTLP could not deliver are reported on stderr but
do not change the exit status. LLM clients read their own variables
(OPENAI_API_KEY, OPENAI_BASE_URL, ...) as the program's client<llm> blocks
say.

When an LLM function's reply can only be coerced to its return type with
loss (a list element that does not fit dropped, a number rounded to an int,
a missing list defaulted to [], a value cut off by the end of the reply),
each loss is reported on stderr ("bex run: F: reply coerced with loss: ...")
and recorded in the trace; with --strict-parse the function fails instead.
The outcome of every @check constraint on an LLM function's result is
reported on stderr too ("bex run: F: check title.short failed: {{ ... }}")
and recorded in the trace; a value that fails an @assert fails the function.
With --retry-invalid, a reply that fails an @assert or cannot be parsed is a
failed attempt instead, retried under the client's retry_policy and moved on
from by a fallback client (engine.WithRetryInvalidReplies).

--types FILE adds dynamic types for the call: fields of @@dynamic classes,
values of @@dynamic enums, and new classes and enums they use. FILE is a BAML
snippet, written like a test's type_builder block (class and enum
declarations, "dynamic class Name { ... }" and "dynamic enum Name { ... }"),
or JSON when its name ends in .json (see docs/language.md, "Dynamic types").

With --stream, LLM replies are streamed and their partial values printed as
they arrive: on a terminal, one line redrawn in place ("F: {partial value}"),
then the result as without --stream; otherwise JSON Lines, one object per
partial value, {"function": "F", "partial": value}, and a last line
{"function": "FUNCTION", "result": value}. An expression function prints the
partial values of each LLM call it makes (see engine.Stream). With
--partial-events N the first N partial values of each LLM call also go to
the trace file, as intermediate lines {"Partial": value}.

The exit status is 1 when the program does not compile or the call fails (the
error and its bex stack are printed on stderr), 2 for a bad command line.
`,
	min: 2, max: 2,
	new: func() config { return &RunConfig{ShutdownTimeout: 5 * time.Second} },
}

// RunConfig is the configuration of bex run.
type RunConfig struct {
	Args            listFlag      // --arg name=value, repeated
	ArgsJSON        string        // --args-json: an object of named arguments, or "-" for stdin
	JSONL           string        // --jsonl: the trace file ("" = BEX_TRACE_FILE)
	OTLP            bool          // --otlp: export over OTLP
	CaptureContent  bool          // --capture-content: content on the OpenTelemetry spans
	Collector       bool          // --collector: print the call's summary on stderr
	Timeout         time.Duration // --timeout: cancel the call after this long (0 = never)
	ShutdownTimeout time.Duration // --shutdown-timeout: bound on flushing the exporters
	StrictParse     bool          // --strict-parse: refuse LLM replies whose coercion loses data
	RetryInvalid    bool          // --retry-invalid: retry and fall back from replies that fail parsing or an @assert
	Types           string        // --types: a BAML or JSON file of dynamic types
	Stream          bool          // --stream: print partial values as LLM replies arrive
	PartialEvents   int           // --partial-events: partial values of each LLM call written to the trace

	otlpSet    bool // --otlp was given (true or false), overriding the environment
	captureSet bool // --capture-content was given, overriding the environment
}

// Flags registers the flags of bex run.
func (c *RunConfig) Flags(fs *flag.FlagSet) {
	fs.Var(&c.Args, "arg", "an argument `name=value`, converted by the parameter's type (repeatable)")
	fs.StringVar(&c.ArgsJSON, "args-json", "", "the arguments as a `JSON` object (or array), or - to read it from stdin")
	fs.StringVar(&c.JSONL, "jsonl", "", "append the trace to this JSONL `file` (default $BEX_TRACE_FILE)")
	fs.Var(&setBool{&c.OTLP, &c.otlpSet}, "otlp", "export the trace over OTLP (default: on when $OTEL_EXPORTER_OTLP_ENDPOINT is set)")
	fs.Var(&setBool{&c.CaptureContent, &c.captureSet}, "capture-content", "put prompts, completions, arguments and results on the OpenTelemetry spans (default: $OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)")
	fs.BoolVar(&c.Collector, "collector", false, "print the call's summary (duration, tokens, LLM attempts) on stderr")
	fs.DurationVar(&c.Timeout, "timeout", 0, "cancel the call after this `duration` (default: no limit)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "bound on flushing and shutting the exporters down")
	fs.BoolVar(&c.Stream, "stream", false, "stream LLM replies and print their partial values as they arrive (JSON Lines, or one line redrawn on a terminal)")
	fs.IntVar(&c.PartialEvents, "partial-events", 0, "with --stream, write the first `n` partial values of each LLM call to the trace file (intermediate lines)")
	fs.BoolVar(&c.StrictParse, "strict-parse", false, "fail an LLM function whose reply can only be coerced with loss (dropped elements, rounded numbers, defaulted fields, a truncated reply)")
	fs.BoolVar(&c.RetryInvalid, "retry-invalid", false, "make a reply that cannot be parsed or fails an @assert a failed attempt: retried under the client's retry_policy, and moved on from by a fallback")
	fs.StringVar(&c.Types, "types", "", "add the dynamic types of this BAML (or .json) `file` to the call")
}

func (c *RunConfig) run(ctx context.Context, a *App, s *streams, args []string) int {
	var llmOpts []llm.Option
	if a.Clock != nil {
		llmOpts = append(llmOpts, llm.WithClock(a.Clock))
	}
	eng, ok := loadEngine(s.stderr, "run", args[0], engine.WithLLMOptions(llmOpts...))
	if !ok {
		return ExitError
	}
	fn := eng.Program().Function(args[1])
	if fn == nil || fn.Kind == vm.FuncHost {
		fmt.Fprintf(s.stderr, "bex run: no function %q in %s (functions: %s)\n", args[1], args[0], functionNames(eng.Program()))
		return ExitError
	}
	var opts []engine.CallOption
	if c.Types != "" {
		tb, err := loadTypes(eng, c.Types)
		if err != nil {
			fmt.Fprintf(s.stderr, "bex run: --types %s:\n", c.Types)
			printErrors(s.stderr, err)
			return ExitError
		}
		opts = append(opts, engine.WithTypes(tb))
	}
	named, err := callArgs(fn, c.ArgsJSON, s.stdin, c.Args)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex run: %v\n", err)
		return ExitUsage
	}
	exp, err := c.startExport(ctx, a)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex run: %v\n", err)
		return ExitError
	}
	code := c.call(ctx, a, s, eng, fn.Name, named, opts)
	if err := exp.shutdown(ctx, s.stderr); err != nil {
		fmt.Fprintf(s.stderr, "bex run: %v\n", err)
		return ExitError
	}
	return code
}

// loadTypes reads a --types file into a type builder and builds it, so
// that its errors are reported before the call: JSON when the name ends
// in .json, else a BAML snippet.
func loadTypes(eng *engine.Engine, path string) (*engine.TypeBuilder, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tb := eng.NewTypeBuilder()
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		err = tb.AddJSON(data)
	} else {
		err = tb.AddBAML(path, string(data))
	}
	if err == nil {
		_, err = tb.Build()
	}
	return tb, err
}

// functionNames lists the program's callable functions, sorted.
func functionNames(p *vm.Program) string {
	var names []string
	for _, f := range p.Functions() {
		if f.Kind != vm.FuncHost {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// call runs the function, prints its result (stdout) or error (stderr) and
// the Collector summary, and returns the exit status.
func (c *RunConfig) call(ctx context.Context, a *App, s *streams, eng *engine.Engine, name string, args map[string]any, opts []engine.CallOption) int {
	ctx, cancel := c.callContext(ctx, s)
	defer cancel()
	opts = append(opts, engine.WithParseNotes(func(fn string, notes []vmspan.ParseNote) {
		for _, n := range notes {
			fmt.Fprintf(s.stderr, "bex run: %s: reply coerced with loss: %s\n", fn, n)
		}
	}), engine.WithChecks(func(fn string, checks []vmspan.CheckResult) {
		for _, c := range checks {
			fmt.Fprintf(s.stderr, "bex run: %s: check %s\n", fn, c)
		}
	}))
	if c.StrictParse {
		opts = append(opts, engine.WithStrictParsing())
	}
	if c.RetryInvalid {
		opts = append(opts, engine.WithRetryInvalidReplies())
	}
	if c.PartialEvents > 0 {
		opts = append(opts, engine.WithPartialEvents(c.PartialEvents))
	}
	var col *collector.Collector
	if c.Collector {
		col = collector.New("bex run")
		defer col.Close()
		opts = append(opts, engine.WithCollector(col))
	}
	var res any
	var err error
	if c.Stream {
		res, err = streamCall(ctx, s, eng, name, args, opts, a.isTerminal(s.stdout))
	} else {
		res, err = eng.Call(ctx, name, args, opts...)
	}
	if col != nil {
		printSummary(s.stderr, col.Last())
	}
	if c.Stream && err == nil && !a.isTerminal(s.stdout) {
		return printStreamLine(s, map[string]any{"function": name, "result": res})
	}
	return printResult(s, name, res, err)
}

// callContext returns the call's ctx: with the TRACEPARENT remote parent
// and the --timeout deadline.
func (c *RunConfig) callContext(ctx context.Context, s *streams) (context.Context, context.CancelFunc) {
	ctx, err := remoteParent(ctx)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex run: ignoring TRACEPARENT: %v\n", err)
	}
	if c.Timeout > 0 {
		return context.WithTimeout(ctx, c.Timeout)
	}
	return context.WithCancel(ctx)
}

// printResult prints the result as JSON on stdout, or the error on stderr,
// and returns the exit status: arguments the engine rejects are usage
// errors.
func printResult(s *streams, name string, res any, err error) int {
	var argErr *engine.ArgError
	switch {
	case errors.As(err, &argErr):
		fmt.Fprintf(s.stderr, "bex run: %v\n", err)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(s.stderr, "bex run: %s: %v\n", name, err)
		return ExitError
	}
	out, err := resultJSON(res)
	if err != nil {
		fmt.Fprintf(s.stderr, "bex run: %s: result: %v\n", name, err)
		return ExitError
	}
	s.stdout.Write(out)
	return ExitOK
}

// remoteParent puts the W3C TRACEPARENT of the environment, when set, in
// ctx as the remote parent of the call's root span.
func remoteParent(ctx context.Context) (context.Context, error) {
	tp := strings.TrimSpace(os.Getenv("TRACEPARENT"))
	if tp == "" {
		return ctx, nil
	}
	r, err := vmspan.ParseTraceparent(tp)
	if err != nil {
		return ctx, err
	}
	return trace.ContextWithRemoteSpanContext(ctx, r.SpanContext()), nil
}
