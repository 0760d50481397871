package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// evalsStub answers the evals program's prompts: a short title, a long
// one (a failing @check), a priority out of range (a failing @assert) and
// a server error.
func evalsStub(t *testing.T) *llmstub.Server {
	return startStub(t,
		llmstub.Rule{Contains: "login", Replies: []llmstub.Reply{{Text: `{"title": "Login down", "priority": 1}`}}},
		llmstub.Rule{Contains: "printer", Replies: []llmstub.Reply{{Text: `{"title": "The printer on floor three is jammed", "priority": 3}`}}},
		llmstub.Rule{Contains: "coffee", Replies: []llmstub.Reply{{Text: `{"title": "Coffee", "priority": 9}`}}},
		llmstub.Rule{Contains: "outage", Replies: []llmstub.Reply{{Status: 500, Text: "the model is down"}}},
	)
}

// TestRunChecks checks that bex run reports @check outcomes on stderr and
// in the trace file, fails on an @assert with the constraint, path and
// value, and refuses an argument that fails its parameter's @assert.
func TestRunChecks(t *testing.T) {
	cleanEnv(t)
	evalsStub(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	const prog = "testdata/prog/evals"
	r := run(t, testApp(), "", "run", prog, "ClassifyTicket", "--arg", "body=The printer is jammed.", "--jsonl", trace)
	const line = "bex run: ClassifyTicket: check title.short failed: {{ this|length <= 20 }}\n"
	if r.code != ExitOK || r.stderr != line || !strings.Contains(r.stdout, `"priority": 3`) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want status 0, the result and the check", r.code, r.stdout, r.stderr)
	}
	var got []vmspan.CheckResult
	for _, e := range readEvents(t, trace) {
		for _, a := range e.Attempts {
			got = append(got, a.Checks...)
		}
	}
	want := []vmspan.CheckResult{{Path: "title", Name: "short", Expr: "this|length <= 20"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trace checks %+v, want %+v", got, want)
	}

	r = run(t, testApp(), "", "run", prog, "ClassifyTicket", "--arg", "body=No coffee left.", "--jsonl", trace)
	if r.code != ExitError || r.stdout != "" ||
		!strings.Contains(r.stderr, `field "priority": @assert in_range failed: {{ this >= 1 and this <= 5 }} (value 9)`) {
		t.Errorf("assert: exit %d, stdout %q, stderr %q; want status 1 and the assert", r.code, r.stdout, r.stderr)
	}
	var errType string
	for _, e := range readEvents(t, trace) {
		if e.Kind == vmspan.EventEnd && e.Name == "ClassifyTicket" && e.Err != nil {
			errType = e.Err.Type
		}
	}
	if errType != "AssertError" {
		t.Errorf("the failed span's error type is %q, want AssertError", errType)
	}

	r = run(t, testApp(), "", "run", prog, "ClassifyTicket", "--arg", "body=")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `argument "body": @assert not_empty failed`) {
		t.Errorf("argument assert: exit %d, stderr %q; want status 2 and the assert", r.code, r.stderr)
	}
}

// TestRunTypes checks bex run --types with a BAML and a JSON file: the
// added enum value reaches the prompt and the result; without it the
// reply does not parse; a bad file is reported with positions.
func TestRunTypes(t *testing.T) {
	cleanEnv(t)
	stub := startStub(t, llmstub.Rule{Contains: "Which category", Replies: []llmstub.Reply{{Text: "Food"}}})
	const prog = "testdata/prog/evals"
	for _, file := range []string{"testdata/types/category.baml", "testdata/types/category.json"} {
		r := run(t, testApp(), "", "run", prog, "Categorize", "--arg", "body=The cafeteria is out of coffee.", "--types", file)
		if r.code != ExitOK || r.stdout != "\"Food\"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want \"Food\"", file, r.code, r.stdout, r.stderr)
		}
		reqs := stub.Requests()
		if p := reqs[len(reqs)-1].Prompt(); !strings.Contains(p, "- Food: meals, drinks and the cafeteria") {
			t.Errorf("%s: the prompt lacks the added value:\n%s", file, p)
		}
	}
	r := run(t, testApp(), "", "run", prog, "Categorize", "--arg", "body=The cafeteria is out of coffee.")
	if r.code != ExitError || !strings.Contains(r.stderr, "cannot parse LLM output of Categorize") {
		t.Errorf("without --types: exit %d, stderr %q; want a parse error", r.code, r.stderr)
	}
	r = run(t, testApp(), "", "run", prog, "Categorize", "--arg", "body=x", "--types", "testdata/types/bad.baml")
	want := "bex run: --types testdata/types/bad.baml:\n" +
		"testdata/types/bad.baml:2:5: enum Category already has a value Billing\n" +
		"testdata/types/bad.baml:5:5: class Ticket is not @@dynamic: fields cannot be added to it\n" +
		"testdata/types/bad.baml:5:9: unknown type Dat\n"
	if r.code != ExitError || r.stderr != want {
		t.Errorf("bad types: exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}
