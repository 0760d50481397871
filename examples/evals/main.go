// Command evals shows checks and asserts, dynamic types and test blocks
// offline, against an in-process LLM stub: categories loaded at run time
// are added to a @@dynamic enum, the outcomes of @check constraints come
// back with the result, a reply that breaks an @assert fails the call with
// a typed error, and the program's own test blocks run from Go as bex test
// runs them.
//
//	go run ./examples/evals
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

//go:embed support.baml
var program string

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "evals:", err)
		os.Exit(1)
	}
}

// categories stands for a table of categories in a database.
var categories = []struct{ name, description string }{
	{"Facilities", "the office, the kitchen, the cafeteria"},
	{"Hardware", "laptops, screens, printers"},
}

func run(ctx context.Context, out io.Writer) error {
	stub := llmstub.New(llmstub.WithRules( // rules match the user's text: the output format names categories
		llmstub.Rule{Contains: "urgent", Replies: []llmstub.Reply{{Text: `{"summary": "Everything is urgent", "category": "Billing", "priority": 11}`}}},
		llmstub.Rule{Contains: "log in", Replies: []llmstub.Reply{{Text: `{"summary": "Login fails", "category": "Access", "priority": 1}`}}},
		llmstub.Rule{Contains: "coffee", Replies: []llmstub.Reply{{Text: `{"summary": "Coffee machine broken", "category": "Facilities", "priority": 4}`}}},
		llmstub.Rule{Contains: "printer", Replies: []llmstub.Reply{{Text: "```json\n{\"summary\": \"The printer on the third floor jams on every job\", \"category\": \"Hardware\", \"priority\": 3}\n```"}}},
	))
	defer stub.Close()
	env := map[string]string{"OPENAI_BASE_URL": stub.URL() + "/v1", "OPENAI_API_KEY": "stub-key"}
	prog, err := engine.Parse(map[string]string{"support.baml": program})
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

	// Dynamic types: the categories of the database join the declared ones
	// for the calls made with this builder.
	tb := eng.NewTypeBuilder()
	for _, c := range categories {
		tb.Enum("Category").AddValue(c.name).Description(c.description)
	}
	printChecks := engine.WithChecks(func(fn string, checks []vmspan.CheckResult) {
		for _, c := range checks {
			fmt.Fprintf(out, "  check %s\n", c)
		}
	})
	fmt.Fprintln(out, "classify a printer ticket (a category from the database):")
	res, err := eng.Call(ctx, "Classify", map[string]any{"body": "The printer jams again."}, engine.WithTypes(tb), printChecks)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  result %v\n", res)

	// An @assert: a priority out of range fails the call with the
	// constraint, the value's path and the value.
	fmt.Fprintln(out, "classify an 'urgent' ticket (the model answers priority 11):")
	_, err = eng.Call(ctx, "Classify", map[string]any{"body": "This is urgent!"}, engine.WithTypes(tb))
	var ae *llm.AssertError
	if !errors.As(err, &ae) {
		return fmt.Errorf("want an assert failure, got %v", err)
	}
	fmt.Fprintf(out, "  assert %s failed at %s with value %v\n", ae.Name, ae.Path, ae.Value)

	// The program's test blocks, run as bex test runs them.
	fmt.Fprintln(out, "the program's tests:")
	for _, tc := range eng.Tests() {
		r := eng.RunTest(ctx, tc)
		fmt.Fprintf(out, "  %-6s %s\n", r.Status, tc.Name())
		for _, c := range r.Checks {
			fmt.Fprintf(out, "         %s\n", c)
		}
	}
	return nil
}
