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
