package bex_test

// End-to-end tests of @assert and @check on LLM functions: what an assert
// failure does to retries and fallbacks, and where check outcomes appear
// (the Go API, the span's attempts, the JSONL trace, the Collector).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// checkedProgram has a client with retries, and a fallback strategy from
// it to a second model.
func checkedProgram(base string) string {
	return fmt.Sprintf(`
retry_policy Twice {
    max_retries 2
    strategy { type constant_delay delay_ms 1 }
}
client<llm> First {
    provider openai
    retry_policy Twice
    options { model "first" base_url %[1]q api_key env.STUB_API_KEY }
}
client<llm> Second {
    provider openai
    options { model "second" base_url %[1]q api_key env.STUB_API_KEY }
}
client<llm> Both {
    provider fallback
    options { strategy [First, Second] }
}
class Ticket {
    title string @check(short, {{ this|length <= 10 }})
    priority int @assert(in_range, {{ this >= 1 and this <= 5 }})
}
function Classify(body: string) -> Ticket {
    client Both
    prompt #"Classify: {{ body }} {{ ctx.output_format }}"#
}
function Pipeline(body: string) -> string {
    let t = Classify(body);
    t.title
}
`, base)
}

// TestAssertFailsAttemptWithoutRetry checks that a reply failing an
// @assert fails its attempt and the call, with the typed error, and is not
// retried nor fallen back from: BAML treats it as a validation error of a
// reply it received, like any parse failure (the request succeeded; the
// same prompt would cost as much for a similar reply). A transport failure
// of the same client is retried and falls back, as before.
func TestAssertFailsAttemptWithoutRetry(t *testing.T) {
	rules := []llmstub.Rule{
		{Model: "first", Contains: "coffee", Replies: []llmstub.Reply{{Text: `{"title": "Coffee", "priority": 9}`}}},
		{Model: "first", Contains: "outage", Replies: []llmstub.Reply{{Status: 503, Text: "busy"}}},
		{Model: "second", Contains: "outage", Replies: []llmstub.Reply{{Text: `{"title": "Outage", "priority": 1}`}}},
		{Model: "second", Replies: []llmstub.Reply{{Text: `{"title": "Other", "priority": 2}`}}},
	}
	r := newRig(t, "openai", checkedProgram, llmstub.WithRules(rules...))
	_, err := r.call(t, "Pipeline", map[string]any{"body": "no coffee"})
	var ae *llm.AssertError
	if !errors.As(err, &ae) || ae.Name != "in_range" || ae.Path != "priority" || ae.Value != int64(9) || ae.Function != "Classify" {
		t.Fatalf("err = %v (%#v), want the in_range AssertError of Classify at priority, value 9", err, ae)
	}
	if n := len(r.stub.Requests()); n != 1 {
		t.Errorf("%d requests; an assert failure is not retried nor fallen back from", n)
	}
	end := r.rec.Filter(vmspan.EventEnd, "Classify")[0]
	if len(end.Attempts) != 1 || end.Attempts[0].Selected || end.Attempts[0].Err == nil || end.Attempts[0].Err.Type != "AssertError" {
		t.Errorf("attempts %+v: want one failed attempt with error type AssertError", end.Attempts)
	}
	if end.Err == nil || end.Err.Type != "AssertError" || !strings.Contains(end.Err.Message, "@assert in_range failed") {
		t.Errorf("span error %+v, want the AssertError", end.Err)
	}

	got, err := r.call(t, "Pipeline", map[string]any{"body": "outage"})
	if err != nil || got != "Outage" {
		t.Fatalf("outage: %v, %v; want the fallback's reply", got, err)
	}
	end = r.rec.Filter(vmspan.EventEnd, "Classify")[1]
	if len(end.Attempts) != 4 || !end.Attempts[3].Selected {
		t.Errorf("outage: %d attempts; want 3 of First (retried 503s) and the selected one of Second", len(end.Attempts))
	}
}

// TestCheckOutcomesEverywhere checks that check outcomes reach the Go API
// (WithChecks), the LLM span's selected attempt, the JSONL trace and the
// Collector, without failing the call.
func TestCheckOutcomesEverywhere(t *testing.T) {
	rules := []llmstub.Rule{{Model: "first", Replies: []llmstub.Reply{{Text: `{"title": "A very long title indeed", "priority": 2}`}}}}
	r := newRig(t, "openai", checkedProgram, llmstub.WithRules(rules...))
	var got []string
	res, err := r.eng.Call(context.Background(), "Classify", map[string]any{"body": "x"}, engine.WithCollector(r.col),
		engine.WithChecks(func(fn string, cs []vmspan.CheckResult) {
			for _, c := range cs {
				got = append(got, fn+": "+c.String())
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, ok := res.(map[string]any); !ok || m["title"] != "A very long title indeed" {
		t.Errorf("result %#v: a failed check keeps the value", res)
	}
	if want := []string{"Classify: title.short failed: {{ this|length <= 10 }}"}; !reflect.DeepEqual(got, want) {
		t.Errorf("WithChecks got %q, want %q", got, want)
	}
	want := []vmspan.CheckResult{{Path: "title", Name: "short", Expr: "this|length <= 10"}}
	if a := r.rec.Filter(vmspan.EventEnd, "Classify")[0].Attempts; len(a) != 1 || !reflect.DeepEqual(a[0].Checks, want) {
		t.Errorf("span attempts %+v, want the checks on the selected one", a)
	}
	if !strings.Contains(r.file.String(), `"checks":[{"expression":"this|length <= 10","name":"short","path":"title","status":"failed"}]`) {
		t.Errorf("the trace file lacks the checks:\n%s", r.file)
	}
	if calls := r.col.Last().Calls; len(calls) != 1 || !reflect.DeepEqual(calls[0].Attempt.Checks, want) {
		t.Errorf("Collector calls %+v: want the checks on the attempt", calls)
	}
}

// TestAssertRetryBAMLDifferential runs checkedProgram's Classify in the
// reference BAML runtime (npm @boundaryml/baml, from BEX_BAML_DIR) with
// the reply of TestAssertFailsAttemptWithoutRetry and checks that BAML too
// makes one request and fails: an assert failure is neither retried nor
// fallen back from.
func TestAssertRetryBAMLDifferential(t *testing.T) {
	dir := os.Getenv("BEX_BAML_DIR")
	if dir == "" {
		t.Skip("BEX_BAML_DIR is not set: run `bash scripts/baml.sh` (needs node and npm) and export its output")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the BAML runtime cannot run")
	}
	// BAML's parser wants the blocks of checkedProgram over several lines.
	src := strings.NewReplacer(
		"strategy { type constant_delay delay_ms 1 }", "",
		"options { model \"first\" base_url \"http://127.0.0.1:PORT/v1\" api_key env.STUB_API_KEY }", "options {\n model \"first\"\n base_url \"http://127.0.0.1:PORT/v1\"\n api_key \"k\"\n }",
		"options { model \"second\" base_url \"http://127.0.0.1:PORT/v1\" api_key env.STUB_API_KEY }", "options {\n model \"second\"\n base_url \"http://127.0.0.1:PORT/v1\"\n api_key \"k\"\n }",
		"options { strategy [First, Second] }", "options {\n strategy [First, Second]\n }",
	).Replace(checkedProgram("http://127.0.0.1:PORT/v1"))
	in, _ := json.Marshal(map[string]any{"source": src, "function": "Classify", "args": map[string]any{"body": "no coffee"},
		"replies": []string{`{"title": "Coffee", "priority": 9}`, `{"title": "Coffee", "priority": 1}`}})
	cmd := exec.Command(node, filepath.Join("runtime", "llm", "testdata", "baml", "requests.js"))
	cmd.Env = append(os.Environ(), "BEX_BAML_DIR="+dir)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("requests.js: %v", err)
	}
	var baml struct {
		Requests int     `json:"requests"`
		Error    *string `json:"error"`
	}
	if err := json.Unmarshal(out, &baml); err != nil {
		t.Fatalf("requests.js printed %q: %v", out, err)
	}
	if baml.Requests != 1 || baml.Error == nil {
		t.Errorf("BAML made %d requests (error %v); bex makes 1 and fails", baml.Requests, baml.Error)
	}
}

// TestInvalidRepliesRetriedWhenAsked checks engine.WithRetryInvalidReplies
// on checkedProgram: First's replies fail parsing or its @assert, each a
// failed attempt retried under its policy (three in all), and the fallback
// moves on to Second, whose reply is selected. Every attempt is one
// OpenTelemetry chat span, ended, with its own error; the LLM function's
// span has no error. Streamed, the same happens when no partial value of
// the invalid replies was delivered.
func TestInvalidRepliesRetriedWhenAsked(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		t.Run(fmt.Sprintf("streamed %v", streamed), func(t *testing.T) {
			stub := llmstub.New(llmstub.WithAPIKey(secretKey), llmstub.WithRules(
				llmstub.Rule{Model: "first", Replies: []llmstub.Reply{{Text: "I cannot help."}, {Text: "Nothing to see."}, {Text: "No."}}},
				llmstub.Rule{Model: "second", Replies: []llmstub.Reply{{Text: `{"title": "Outage", "priority": 1}`}}}))
			t.Cleanup(stub.Close)
			sr := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			rec := new(spantest.Recorder)
			env := func(k string) (string, bool) { return secretKey, k == "STUB_API_KEY" }
			eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": checkedProgram(stub.URL() + "/v1")}),
				engine.WithTracer(vmspan.NewTracer(vmspan.Fanout(rec, otelbridge.New(otelbridge.WithTracerProvider(tp))))),
				engine.WithLLMOptions(llm.WithEnv(env), llm.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() })))
			if err != nil {
				t.Fatal(err)
			}
			args := map[string]any{"body": "outage"}
			var got any
			if streamed {
				for p, err := range eng.Stream(context.Background(), "Pipeline", args, engine.WithRetryInvalidReplies()) {
					if err != nil {
						t.Fatal(err)
					}
					if p.Final {
						got = p.Value
					}
				}
			} else {
				got, err = eng.Call(context.Background(), "Pipeline", args, engine.WithRetryInvalidReplies())
			}
			if err != nil || got != "Outage" {
				t.Fatalf("Pipeline = %v, %v; want Second's reply", got, err)
			}

			end := rec.Filter(vmspan.EventEnd, "Classify")[0]
			var attempts []string
			for _, a := range end.Attempts {
				s := a.Model + ":ok"
				if a.Err != nil {
					s = a.Model + ":" + a.Err.Type
				}
				attempts = append(attempts, s)
			}
			if want := "first:LLMParseError first:LLMParseError first:LLMParseError second:ok"; strings.Join(attempts, " ") != want || !end.Attempts[3].Selected || end.Err != nil {
				t.Errorf("attempts %s (span error %v), want %s with the last selected", attempts, end.Err, want)
			}
			if n := len(sr.Started()); n != len(sr.Ended()) {
				t.Errorf("%d OpenTelemetry spans started, %d ended", n, len(sr.Ended()))
			}
			var chats []string
			for _, s := range sr.Ended() {
				if s.SpanKind() == trace.SpanKindClient {
					chats = append(chats, s.Name()+":"+s.Status().Code.String())
				}
			}
			slices.Sort(chats)
			if want := "chat first:Error chat first:Error chat first:Error chat second:Unset"; strings.Join(chats, " ") != want {
				t.Errorf("chat spans %s, want %s", chats, want)
			}
		})
	}
}
