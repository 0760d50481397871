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

// TestRunRetryInvalid checks that --retry-invalid makes a reply that
// cannot be parsed a failed attempt that the fallback moves on from, and
// that without it the call fails at once.
func TestRunRetryInvalid(t *testing.T) {
	cleanEnv(t)
	srv := startStub(t,
		llmstub.Rule{API: "openai", Contains: "title and priority", Replies: []llmstub.Reply{{Text: "I cannot help with that."}}},
		llmstub.Rule{API: "anthropic", Contains: "title and priority", Replies: []llmstub.Reply{{Text: `{"title": "Login broken", "priority": 1}`}}})
	args := []string{"run", "testdata/prog/pipeline", "Triage", "--arg", "body=The login page is down."}
	r := run(t, testApp(), "", args...)
	if r.code != ExitError || !strings.Contains(r.stderr, "cannot parse LLM output of ClassifyTicket") || srv.Count() != 1 {
		t.Fatalf("exit %d, stderr %q, %d requests; want the parse failure of one request", r.code, r.stderr, srv.Count())
	}
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	r = run(t, testApp(), "", append(args, "--retry-invalid", "--jsonl", trace)...)
	if r.code != ExitOK || !strings.Contains(r.stdout, "Login broken") {
		t.Fatalf("--retry-invalid: exit %d, stdout %q, stderr %q; want the fallback's ticket", r.code, r.stdout, r.stderr)
	}
	var got []string
	for _, e := range readEvents(t, trace) {
		for _, a := range e.Attempts {
			s := a.Client + ":ok"
			if a.Err != nil {
				s = a.Client + ":" + a.Err.Type
			}
			got = append(got, s)
		}
	}
	if want := []string{"Fast:LLMParseError", "Fast:LLMParseError", "Backup:ok"}; len(got) < 3 || !reflect.DeepEqual(got[:3], want) {
		t.Errorf("ClassifyTicket's attempts %q, want %q (Fast retried once, then Backup)", got, want)
	}
}
