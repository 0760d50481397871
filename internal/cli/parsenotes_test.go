package cli

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// TestRunParseNotes checks that a reply coerced with loss is reported on
// stderr and in the trace file, and that --strict-parse fails the call.
func TestRunParseNotes(t *testing.T) {
	cleanEnv(t)
	startStub(t, llmstub.Rule{Contains: "title and priority", Replies: []llmstub.Reply{{Text: `{"title": "Login broken", "priority": 1.6}`}}})
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	args := []string{"run", "testdata/prog/triage", "Triage", "--arg", "body=The login page is down.", "--jsonl", trace}
	r := run(t, testApp(), "", args...)
	const note = "bex run: ClassifyTicket: reply coerced with loss: rounded priority: 1.6 rounded to 2\n"
	if r.code != ExitOK || r.stderr != note || !strings.Contains(r.stdout, "score 23") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want status 0, the result with priority 2, and the note", r.code, r.stdout, r.stderr)
	}
	want := []vmspan.ParseNote{{Kind: vmspan.ParseRounded, Path: "priority", Detail: "1.6 rounded to 2"}}
	var got []vmspan.ParseNote
	for _, e := range readEvents(t, trace) {
		for _, a := range e.Attempts {
			got = append(got, a.ParseNotes...)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trace notes %+v, want %+v", got, want)
	}

	r = run(t, testApp(), "", append(args, "--strict-parse")...)
	if r.code != ExitError || r.stdout != "" ||
		!strings.Contains(r.stderr, `cannot parse LLM output of ClassifyTicket: field "priority": lossy coercion refused (strict parsing): rounded priority: 1.6 rounded to 2`) {
		t.Errorf("--strict-parse: exit %d, stdout %q, stderr %q; want status 1 and the refusal", r.code, r.stdout, r.stderr)
	}
}
