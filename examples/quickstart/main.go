// Command quickstart runs the SPEC's ticket-triage pipeline offline: an
// OpenAI-compatible LLM stub runs in process, the pipeline is called under a
// host span with a Collector attached, and the program prints the result,
// the span tree and the path of the JSONL trace file. When
// OTEL_EXPORTER_OTLP_ENDPOINT is set, the spans are also exported over OTLP
// (for example to Jaeger: OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318).
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -ticket "The export button crashes the app."
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

//go:embed triage.baml
var program string

const defaultTicket = "Checkout is down for all users since 9:00. Nobody can pay."

func main() {
	ticket := flag.String("ticket", defaultTicket, "the ticket text to triage")
	traceFile := flag.String("jsonl", "", "JSONL trace file (default $BEX_TRACE_FILE, else a file in the temp dir)")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *ticket, *traceFile); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, ticket, traceFile string) (err error) {
	if traceFile == "" {
		traceFile = os.Getenv("BEX_TRACE_FILE")
	}
	if traceFile == "" {
		traceFile = filepath.Join(os.TempDir(), "bex-quickstart.jsonl")
	}
	// The default tracer: the JSONL file, and OTLP when the OTEL_* variables ask for it.
	shutdown, err := bex.Setup(ctx, bex.WithTraceFile(traceFile))
	if err != nil {
		return err
	}
	defer func() {
		if serr := shutdown(context.Background()); serr != nil && err == nil {
			err = serr
		}
	}()

	stub := llmstub.New() // answers like a model would, offline
	defer stub.Close()
	env := map[string]string{"OPENAI_BASE_URL": stub.URL() + "/v1", "OPENAI_API_KEY": "stub-key"}
	prog, err := engine.Parse(map[string]string{"triage.baml": program})
	if err != nil {
		return err
	}
	eng, err := engine.New(prog, engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})))
	if err != nil {
		return err
	}

	col := collector.New("quickstart")
	defer col.Close()
	ctx, span := vmspan.Start(ctx, "HandleTicket", "source", "quickstart")
	res, err := eng.Call(ctx, "Triage", map[string]any{"body": ticket}, engine.WithCollector(col))
	span.End(res, err)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "result: %s\n\n", res)
	printTree(out, span.Name(), col.Last())
	fmt.Fprintf(out, "\ntrace id:   %s\ntrace file: %s\n", span.TraceID(), traceFile)
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" {
		fmt.Fprintln(out, "exported over OTLP to", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	return nil
}

// printTree prints the call's spans under the host span, with durations,
// token usage and errors.
func printTree(out io.Writer, host string, log *collector.FunctionLog) {
	fmt.Fprintf(out, "%s (host span)\n", host)
	for _, s := range log.Spans {
		line := fmt.Sprintf("%s%s [%s] %s", strings.Repeat("   ", s.Depth+1), s.Name, s.Kind, s.Timing.Duration.Round(10_000))
		for _, c := range log.Calls {
			if c.SpanID == s.ID && c.Selected {
				line += fmt.Sprintf("  %s/%s tokens in=%d out=%d", c.Provider, c.Model, deref(c.Usage.InputTokens), deref(c.Usage.OutputTokens))
			}
		}
		if s.Error != nil {
			line += "  ERROR " + s.Error.Message
		}
		fmt.Fprintln(out, line)
	}
	u := log.Usage
	fmt.Fprintf(out, "total tokens: in=%d out=%d\n", deref(u.InputTokens), deref(u.OutputTokens))
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
