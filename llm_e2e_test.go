package bex_test

// End-to-end tests of LLM functions: real HTTP against the stub server for
// both providers, retries, fallbacks, malformed output and secrets,
// seen through the engine, the Collector and the JSONL writer.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const secretKey = "sk-test-SECRET-9f8e7d6c"

// pipeline is the SPEC §2 example with its client pointed at the stub.
func pipeline(provider, baseURL string) string {
	return fmt.Sprintf(`
retry_policy Twice {
    max_retries 2
    strategy { type constant_delay delay_ms 1 }
}
client<llm> Fast {
    provider %s
    retry_policy Twice
    options { model "gpt-4o-mini" base_url %q api_key env.STUB_API_KEY }
}
class Ticket {
    title string
    priority int @description("1 is most urgent")
}
function ClassifyTicket(body: string) -> Ticket {
    client Fast
    prompt #"
        Read the ticket and extract its title and priority.
        {{ ctx.output_format }}
        {{ _.role("user") }} {{ body }}
    "#
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Score(a: int, b: int) -> int { a * 10 + b }
function Triage(body: string) -> string {
    let t = ClassifyTicket(body);
    let h = Headline(body);
    let s = Score(t.priority, 3);
    h + " (" + t.title + ", score " + s.to_string() + ")"
}
`, provider, baseURL)
}

type rig struct {
	stub *llmstub.Server
	eng  *engine.Engine
	rec  *spantest.Recorder
	file *bytes.Buffer
	w    *jsonl.Writer
	col  *collector.Collector
}

func newRig(t *testing.T, provider string, src func(base string) string, stubOpts ...llmstub.Option) *rig {
	t.Helper()
	stub := llmstub.New(append([]llmstub.Option{llmstub.WithAPIKey(secretKey), llmstub.WithKeep(llmstub.KeepAll)}, stubOpts...)...)
	t.Cleanup(stub.Close)
	base := stub.URL()
	if provider == "openai" {
		base += "/v1"
	}
	r := &rig{stub: stub, rec: new(spantest.Recorder), file: &bytes.Buffer{}, col: collector.New("test")}
	r.w = jsonl.NewWriter(r.file)
	t.Cleanup(r.col.Close)
	env := func(k string) (string, bool) {
		if k == "STUB_API_KEY" {
			return secretKey, true
		}
		return "", false
	}
	sleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": src(base)}),
		engine.WithTracer(vmspan.NewTracer(vmspan.Fanout(r.rec, r.w))),
		engine.WithLLMOptions(llm.WithEnv(env), llm.WithSleep(sleep)))
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	return r
}

func (r *rig) call(t *testing.T, fn string, args map[string]any) (any, error) {
	t.Helper()
	res, err := r.eng.Call(context.Background(), fn, args, engine.WithCollector(r.col))
	if ferr := r.w.Flush(context.Background()); ferr != nil {
		t.Fatal(ferr)
	}
	return res, err
}

// noSecret searches every serialized byte: events, JSONL, Collector logs.
func (r *rig) noSecret(t *testing.T) {
	t.Helper()
	logs, err := json.Marshal(r.col.Logs())
	if err != nil {
		t.Fatal(err)
	}
	evs := fmt.Sprintf("%+v", r.rec.Events())
	for what, b := range map[string]string{"events": evs, "JSONL": r.file.String(), "collector": string(logs)} {
		if strings.Contains(b, secretKey) {
			t.Errorf("the API key appears in the %s", what)
		}
	}
	if low := strings.ToLower(r.file.String()); !strings.Contains(low, "authorization") && !strings.Contains(low, "x-api-key") {
		t.Error("the JSONL should record the (redacted) auth header of each attempt")
	}
}

func TestSpecExampleOverHTTP(t *testing.T) {
	for _, provider := range []string{"openai", "anthropic"} {
		t.Run(provider, func(t *testing.T) {
			r := newRig(t, provider, func(b string) string { return pipeline(provider, b) })
			got, err := r.call(t, "Triage", map[string]any{"body": "Checkout is down for all users. Nobody can pay."})
			if err != nil {
				t.Fatal(err)
			}
			if want := "Checkout is down for all users (Checkout is down for all users, score 13)"; got != want {
				t.Errorf("Triage = %q\nwant     %q", got, want)
			}
			log := r.col.Last()
			if log == nil || len(log.Calls) != 2 || log.Calls[0].FunctionName != "ClassifyTicket" || log.Calls[1].FunctionName != "Headline" {
				t.Fatalf("collector log = %+v", log)
			}
			for _, c := range log.Calls {
				if c.Provider != provider || c.Model != "gpt-4o-mini" || !c.Selected || c.Usage.InputTokens == nil || c.FinishReason == "" {
					t.Errorf("LLM call %+v", c)
				}
			}
			if log.Usage.InputTokens == nil || *log.Usage.InputTokens <= 0 {
				t.Errorf("usage = %+v", log.Usage)
			}
			r.noSecret(t)
		})
	}
}

func TestRetryAfter429(t *testing.T) {
	rule := llmstub.Rule{Contains: "headline", Replies: []llmstub.Reply{
		{Status: 429, Text: "slow down", Header: map[string]string{"Retry-After": "0"}},
		{Text: "A fine headline"},
	}}
	r := newRig(t, "openai", func(b string) string { return pipeline("openai", b) }, llmstub.WithRules(rule))
	got, err := r.call(t, "Headline", map[string]any{"body": "x"})
	if err != nil || got != "A fine headline" {
		t.Fatalf("Headline = %v, %v", got, err)
	}
	calls := r.col.Last().Calls
	if len(calls) != 2 || calls[0].Selected || !calls[1].Selected || calls[0].Error == nil {
		t.Fatalf("calls = %+v; want 2 with the first failed and not selected", calls)
	}
	if calls[0].Response == nil || calls[0].Response.Status != 429 {
		t.Errorf("first response = %+v", calls[0].Response)
	}
	// The native trace still has one span for the LLM function (it is the
	// root here), whose end records both attempts.
	ends := r.rec.Filter(vmspan.EventEnd, "Headline")
	if len(ends) != 1 || len(ends[0].Attempts) != 2 {
		t.Fatalf("Headline ends = %d", len(ends))
	}
	r.noSecret(t)
}

func TestFallback(t *testing.T) {
	src := func(base string) string {
		return fmt.Sprintf(`
client<llm> Broken {
    provider openai
    options { model "broken-model" base_url %q api_key env.STUB_API_KEY }
}
client<llm> Working {
    provider anthropic
    options { model "claude-x" base_url %q api_key env.STUB_API_KEY }
}
client<llm> Resilient {
    provider fallback
    options { strategy [Broken, Working] }
}
function Hello(name: string) -> string {
    client Resilient
    prompt #"Say hello to {{ name }}"#
}
function Run(name: string) -> string { Hello(name) }
`, base+"/v1", strings.TrimSuffix(base, "/v1"))
	}
	rule := llmstub.Rule{Model: "broken-model", Replies: []llmstub.Reply{{Status: 500, Text: "internal"}}}
	r := newRig(t, "openai", src, llmstub.WithRules(rule, llmstub.Rule{Model: "claude-x", Replies: []llmstub.Reply{{Text: "Hello, Ann"}}}))
	got, err := r.call(t, "Run", map[string]any{"name": "Ann"})
	if err != nil || got != "Hello, Ann" {
		t.Fatalf("Run = %v, %v", got, err)
	}
	calls := r.col.Last().Calls
	if len(calls) != 2 || calls[0].Client != "Broken" || calls[1].Client != "Working" || calls[0].Selected || !calls[1].Selected {
		t.Fatalf("calls = %+v", calls)
	}
	if calls[1].Provider != "anthropic" {
		t.Errorf("fallback provider = %s", calls[1].Provider)
	}
	r.noSecret(t)
}

func TestMalformedOutput(t *testing.T) {
	rule := llmstub.Rule{Contains: "title and priority", Replies: []llmstub.Reply{{Text: `{"title": "x", "priority": "very high"}`}}}
	r := newRig(t, "openai", func(b string) string { return pipeline("openai", b) }, llmstub.WithRules(rule))
	_, err := r.call(t, "Triage", map[string]any{"body": "x"})
	var pe *llm.ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "priority") {
		t.Fatalf("err = %v, want a *llm.ParseError naming the field", err)
	}
	ends := r.rec.Filter(vmspan.EventEnd, "ClassifyTicket")
	if len(ends) != 1 || ends[0].Err == nil || ends[0].Err.Type != "LLMParseError" {
		t.Fatalf("ClassifyTicket end = %+v", ends)
	}
	if log := r.col.Last(); log.Error == nil || log.Timing.DurationMs < 0 {
		t.Errorf("log = %+v", log)
	}
	r.noSecret(t)
}

// TestLossyOutputIsVisible checks that a reply coerced with loss reaches
// the caller's notes callback, the LLM span's end event, the JSONL trace
// and the Collector, and that strict parsing fails the call instead.
func TestLossyOutputIsVisible(t *testing.T) {
	rule := llmstub.Rule{Contains: "title and priority", Replies: []llmstub.Reply{{Text: `{"title": "Login broken", "priority": 2.5}`}}}
	r := newRig(t, "openai", func(b string) string { return pipeline("openai", b) }, llmstub.WithRules(rule))
	var got []string
	notes := engine.WithParseNotes(func(fn string, ns []vmspan.ParseNote) {
		for _, n := range ns {
			got = append(got, fn+": "+n.String())
		}
	})
	res, err := r.eng.Call(context.Background(), "ClassifyTicket", map[string]any{"body": "x"}, notes, engine.WithCollector(r.col))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, ok := res.(map[string]any); !ok || m["priority"] != int64(3) {
		t.Errorf("result %#v, want priority 3", res)
	}
	if want := []string{"ClassifyTicket: rounded priority: 2.5 rounded to 3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("notes %q, want %q", got, want)
	}
	ends := r.rec.Filter(vmspan.EventEnd, "ClassifyTicket")
	if len(ends) != 1 || len(ends[0].Attempts) != 1 || len(ends[0].Attempts[0].ParseNotes) != 1 {
		t.Fatalf("end event %+v: want the note on its attempt", ends)
	}
	if !strings.Contains(r.file.String(), `"parse_notes":[{"detail":"2.5 rounded to 3","kind":"rounded","path":"priority"}]`) {
		t.Errorf("the trace file lacks the note:\n%s", r.file)
	}
	if calls := r.col.Last().Calls; len(calls) != 1 || len(calls[0].Attempt.ParseNotes) != 1 {
		t.Errorf("Collector calls %+v: want the note on the attempt", calls)
	}

	_, err = r.eng.Call(context.Background(), "ClassifyTicket", map[string]any{"body": "x"}, notes, engine.WithStrictParsing())
	var pe *llm.ParseError
	if !errors.As(err, &pe) || len(pe.Notes) != 1 || !strings.Contains(err.Error(), "strict parsing") {
		t.Fatalf("strict: err = %v, want a *llm.ParseError listing the note", err)
	}
	if len(got) != 1 {
		t.Errorf("strict parsing called the notes callback: %q", got)
	}
	ends = r.rec.Filter(vmspan.EventEnd, "ClassifyTicket")
	if e := ends[len(ends)-1]; e.Err == nil || e.Err.Type != "LLMParseError" || len(e.Attempts[0].ParseNotes) != 1 {
		t.Errorf("strict end event %+v: want LLMParseError and the refused note", e)
	}
}
