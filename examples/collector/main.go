// Command collector shows per-request usage accounting with a Collector: it
// triages three tickets, one Collector per request, and prints each
// request's token usage and LLM attempts — including a retried attempt, as
// the stub answers the second request's first attempt with 429 Too Many
// Requests. Everything runs offline against the in-process LLM stub.
//
//	go run ./examples/collector
package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

//go:embed triage.baml
var program string

var tickets = []string{
	"Checkout is down for all users. Nobody can pay.",
	"The invoice PDF shows the wrong VAT number.",
	"Please add a dark mode to the dashboard.",
}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "collector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// The stub rate-limits the first headline request once.
	stub := llmstub.New(llmstub.WithRules(llmstub.Rule{Contains: "headline for: The invoice PDF", Replies: []llmstub.Reply{
		{Status: 429, Text: "rate limited", Header: map[string]string{"Retry-After": "0"}},
		{Text: "Invoice shows wrong VAT number"},
	}}))
	defer stub.Close()
	env := map[string]string{"OPENAI_BASE_URL": stub.URL() + "/v1", "OPENAI_API_KEY": "stub-key"}
	eng, err := engine.New(engine.MustParse(map[string]string{"triage.baml": program}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		return err
	}
	for i, ticket := range tickets {
		col := collector.New(fmt.Sprintf("request-%d", i+1))
		res, err := eng.Call(ctx, "Triage", map[string]any{"body": ticket}, engine.WithCollector(col))
		if err != nil {
			return err
		}
		report(out, col, res)
		col.Close() // frees the events it kept
	}
	return nil
}

// report prints one request's log: result, usage and every LLM attempt.
func report(out io.Writer, col *collector.Collector, res any) {
	log := col.Last()
	u := col.Usage()
	fmt.Fprintf(out, "%s: %q\n", col.Name(), res)
	fmt.Fprintf(out, "  %d LLM attempts, tokens in=%d out=%d\n", len(log.Calls), val(u.InputTokens), val(u.OutputTokens))
	for _, c := range log.Calls {
		status := "ok"
		if c.Error != nil {
			status = "failed: " + c.Error.Type
		}
		fmt.Fprintf(out, "  - %-14s %s/%s selected=%-5v %s\n", c.FunctionName, c.Provider, c.Model, c.Selected, status)
	}
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
