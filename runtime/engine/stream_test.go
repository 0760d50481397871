package engine_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

const streamSrc = `
client<llm> GPT {
    provider openai
    retry_policy Once
    options {
        model "gpt-4o-mini"
        base_url env.STUB_URL
        api_key "k"
        http { time_to_first_token_timeout_ms 1000 idle_timeout_ms 1000 }
    }
}
client<llm> Claude {
    provider anthropic
    retry_policy Once
    options {
        model "claude-3-5-haiku-latest"
        base_url env.STUB_URL
        api_key "k"
        http { time_to_first_token_timeout_ms 1000 idle_timeout_ms 1000 }
    }
}
retry_policy Once {
    max_retries 1
}
class Item {
    name string
    qty int
}
class Order {
    customer string
    items Item[]
}
function ExtractGPT(text: string) -> Order {
    client GPT
    prompt #"Extract the order. {{ ctx.output_format }} {{ _.role("user") }} {{ text }}"#
}
function ExtractClaude(text: string) -> Order {
    client Claude
    prompt #"Extract the order. {{ ctx.output_format }} {{ _.role("user") }} {{ text }}"#
}
function Headline(text: string) -> string {
    client GPT
    prompt #"A headline for: {{ text }}"#
}
function Summary(text: string) -> string {
    let o = ExtractClaude(text);
    let h = Headline(text);
    h + ": " + o.customer + " ordered " + o.items.length().to_string() + " items"
}
`

const orderReply = "Here you go:\n```json\n" + `{"customer": "Acme Corporation", "items": [{"name": "Widget", "qty": 3}, {"name": "Gadget", "qty": 12}]}` + "\n```"

// streamEngine returns an engine of streamSrc against a stub whose rules
// are tried first, then an order for Extract prompts and a headline for
// the rest; and the span recorder.
func streamEngine(t *testing.T, rules ...llmstub.Rule) (*engine.Engine, *spantest.Recorder, *llmstub.Server) {
	t.Helper()
	rules = append(rules,
		llmstub.Rule{Contains: "Extract", Replies: []llmstub.Reply{{Text: orderReply, ChunkSize: 7}}},
		llmstub.Rule{Replies: []llmstub.Reply{{Text: "Acme orders widgets in bulk", ChunkSize: 4}}})
	srv := llmstub.New(llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(rules...))
	t.Cleanup(srv.Close)
	rec := new(spantest.Recorder)
	env := func(k string) (string, bool) { return srv.URL(), k == "STUB_URL" }
	e, err := engine.New(engine.MustParse(map[string]string{"main.baml": streamSrc}),
		engine.WithTracer(rec.Tracer()), engine.WithLLMOptions(llm.WithEnv(env)))
	if err != nil {
		t.Fatal(err)
	}
	return e, rec, srv
}

// collect runs a stream to its end and returns its values and error.
func collect(e *engine.Engine, ctx context.Context, fn string) ([]engine.Partial, error) {
	var out []engine.Partial
	for p, err := range e.Stream(ctx, fn, map[string]any{"text": "3 widgets and 12 gadgets for Acme"}) {
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// A streamed LLM function, for both providers: its requests are streamed,
// the partial values grow in order, and the final value is Call's; the
// span records the streamed attempt with the stream's usage.
func TestStreamLLMFunction(t *testing.T) {
	for _, fn := range []string{"ExtractGPT", "ExtractClaude"} {
		t.Run(fn, func(t *testing.T) {
			e, rec, srv := streamEngine(t)
			want, err := e.Call(context.Background(), fn, map[string]any{"text": "3 widgets and 12 gadgets for Acme"})
			if err != nil {
				t.Fatal(err)
			}
			rec.Reset()
			vals, err := collect(e, context.Background(), fn)
			if err != nil {
				t.Fatal(err)
			}
			if reqs := srv.Requests(); !reqs[len(reqs)-1].Stream || reqs[0].Stream {
				t.Errorf("the call's request streamed: %v; the stream's: %v", reqs[0].Stream, reqs[len(reqs)-1].Stream)
			}
			last := vals[len(vals)-1]
			if !last.Final || last.Function != fn || !reflect.DeepEqual(last.Value, want) {
				t.Fatalf("final %+v, want %v", last, want)
			}
			partials := vals[:len(vals)-1]
			if len(partials) < 5 {
				t.Fatalf("%d partial values", len(partials))
			}
			var prevItems int
			for i, p := range partials {
				m := p.Value.(map[string]any)
				items := m["items"].([]any)
				if p.Final || p.Function != fn || len(items) < prevItems {
					t.Fatalf("partial %d: %+v", i, p)
				}
				prevItems = len(items)
				for _, it := range items {
					if q := it.(map[string]any)["qty"]; q != nil && q != int64(3) && q != int64(12) {
						t.Errorf("partial %d: a quantity read in part: %v", i, q)
					}
				}
			}
			if c := partials[2].Value.(map[string]any)["customer"]; c == nil || !strings.HasPrefix("Acme Corporation", c.(string)) {
				t.Errorf("the customer does not grow: %#v", partials[2].Value)
			}
			checkBalanced(t, rec)
			end, _ := rec.Find(vmspan.EventEnd, fn)
			if a := end.Attempts; len(a) != 1 || !a[0].Selected || a[0].Usage.OutputTokens == nil || a[0].FinishReason == "" {
				t.Errorf("attempts %+v", a)
			}
		})
	}
}

// An expression function streams the partial values of each LLM call it
// waits on, named by that call, then its own result.
func TestStreamExpressionFunction(t *testing.T) {
	e, rec, _ := streamEngine(t)
	vals, err := collect(e, context.Background(), "Summary")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range vals {
		if len(order) == 0 || order[len(order)-1] != p.Function {
			order = append(order, p.Function)
		}
	}
	if want := []string{"ExtractClaude", "Headline", "Summary"}; !reflect.DeepEqual(order, want) {
		t.Errorf("values of %v, want %v", order, want)
	}
	if last := vals[len(vals)-1]; !last.Final || last.Value != "Acme orders widgets in bulk: Acme Corporation ordered 2 items" {
		t.Errorf("result %+v", last)
	}
	if h := vals[len(vals)-2]; h.Function != "Headline" || h.Value != "Acme orders widgets in bulk" {
		t.Errorf("the headline's last partial value: %+v", h)
	}
	checkBalanced(t, rec)
}

// A consumer that stops early stops the call: no more values, the request
// cancelled, every span ended once with the cancellation.
func TestStreamConsumerStops(t *testing.T) {
	e, rec, srv := streamEngine(t, llmstub.Rule{Contains: "Extract", Replies: []llmstub.Reply{{Text: orderReply + strings.Repeat(" ", 4000), ChunkSize: 3}}})
	n := 0
	for p, err := range e.Stream(context.Background(), "Summary", map[string]any{"text": "x"}) {
		if err != nil || p.Final {
			t.Fatalf("%+v %v", p, err)
		}
		if n++; n == 3 {
			break
		}
	}
	checkBalanced(t, rec)
	for _, name := range []string{"Summary", "ExtractClaude"} {
		end, ok := rec.Find(vmspan.EventEnd, name)
		if !ok || end.Err == nil || end.Err.Type != "Canceled" || !strings.Contains(end.Err.Message, "consumer stopped") {
			t.Errorf("%s ended with %+v", name, end.Err)
		}
	}
	if srv.Count() != 1 {
		t.Errorf("%d requests, want 1 (no retry, no Headline)", srv.Count())
	}
}

// A consumer's panic stops the call, whose spans end, and reaches the
// consumer's caller.
func TestStreamConsumerPanics(t *testing.T) {
	e, rec, _ := streamEngine(t)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the consumer's panic", r)
			}
		}()
		for range e.Stream(context.Background(), "ExtractGPT", map[string]any{"text": "x"}) {
			panic("boom")
		}
	}()
	checkBalanced(t, rec)
	if end, _ := rec.Find(vmspan.EventEnd, "ExtractGPT"); end.Err == nil || end.Err.Type != "Canceled" {
		t.Errorf("the LLM span ended with %+v", end.Err)
	}
}

// ctx cancelled in the middle of a stream: the error is the cancellation,
// on the spans too.
func TestStreamContextCancelled(t *testing.T) {
	e, rec, _ := streamEngine(t, llmstub.Rule{Contains: "Extract", Replies: []llmstub.Reply{{Text: orderReply + strings.Repeat(" ", 4000), ChunkSize: 3}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var got error
	for _, err := range e.Stream(ctx, "ExtractGPT", map[string]any{"text": "x"}) {
		if err != nil {
			got = err
			break
		}
		if n++; n == 2 {
			cancel()
		}
	}
	if !errors.Is(got, context.Canceled) || errors.Is(got, llm.ErrStopped) {
		t.Fatalf("err %v, want ctx's cancellation", got)
	}
	checkBalanced(t, rec)
	if end, _ := rec.Find(vmspan.EventEnd, "ExtractGPT"); end.Err == nil || end.Err.Type != "Canceled" {
		t.Errorf("the LLM span ended with %+v", end.Err)
	}
}

// Every fault of a streamed reply ends the call with the right error on
// the LLM span and the root, spans balanced; faults before any partial
// value are retried by the client's policy.
func TestStreamFaults(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    llmstub.Reply
		errType  string // the LLM span's error; "" when the retry succeeds
		attempts int
	}{
		{"drop mid-event", llmstub.Reply{Fault: llmstub.FaultDrop, FaultAfter: 6}, "LLMTransportError", 1},
		{"drop before the first byte", llmstub.Reply{Fault: llmstub.FaultDrop}, "", 2},
		{"malformed", llmstub.Reply{Fault: llmstub.FaultMalformed, FaultAfter: 6}, "LLMResponseError", 1},
		{"no final event", llmstub.Reply{Fault: llmstub.FaultNoFinal}, "LLMTransportError", 1},
		{"never a byte", llmstub.Reply{Fault: llmstub.FaultStall}, "", 2},
		{"stalls after text", llmstub.Reply{Fault: llmstub.FaultStall, FaultAfter: 8}, "LLMTimeoutError", 1},
		{"error status", llmstub.Reply{Status: 503}, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fault.Text, tc.fault.ChunkSize = orderReply, 7
			e, rec, _ := streamEngine(t, llmstub.Rule{Contains: "Extract", Replies: []llmstub.Reply{tc.fault, {Text: orderReply}}})
			vals, err := collect(e, context.Background(), "ExtractGPT")
			end, _ := rec.Find(vmspan.EventEnd, "ExtractGPT")
			checkBalanced(t, rec)
			if len(end.Attempts) != tc.attempts {
				t.Errorf("%d attempts, want %d", len(end.Attempts), tc.attempts)
			}
			if tc.errType == "" {
				if err != nil || !vals[len(vals)-1].Final {
					t.Fatalf("err %v: want the retry to succeed", err)
				}
				return
			}
			if err == nil || end.Err == nil || end.Err.Type != tc.errType || end.Attempts[0].Err == nil || end.Attempts[0].Err.Type != tc.errType {
				t.Fatalf("err %v; span error %+v; attempts %+v", err, end.Err, end.Attempts)
			}
			if root, _ := rec.Find(vmspan.EventEnd, "ExtractGPT"); root.Err == nil {
				t.Error("the root span has no error")
			}
		})
	}
}

// A call to a provider that accepts the request and never answers ends
// with a timeout on its LLM span, not when the caller gives up.
func TestCallTimesOut(t *testing.T) {
	e, rec, _ := streamEngine(t, llmstub.Rule{Replies: []llmstub.Reply{{Fault: llmstub.FaultHang}}})
	_, err := e.Call(context.Background(), "Headline", map[string]any{"text": "x"}, engine.WithTimeouts(llm.Timeouts{FirstToken: 200e6}))
	var te *llm.TimeoutError
	if !errors.As(err, &te) || te.Kind != llm.TimeoutFirstToken {
		t.Fatalf("err %v, want a time-to-first-token timeout", err)
	}
	checkBalanced(t, rec)
	end, _ := rec.Find(vmspan.EventEnd, "Headline")
	if end.Err == nil || end.Err.Type != "LLMTimeoutError" || end.Err.Code != "timeout" || len(end.Attempts) != 2 {
		t.Errorf("span error %+v, %d attempts (want 2: a timeout is retried)", end.Err, len(end.Attempts))
	}
	for _, a := range end.Attempts {
		if a.Err == nil || a.Err.Code != "timeout" { // OpenTelemetry's error.type
			t.Errorf("attempt error %+v, want code timeout", a.Err)
		}
	}
}

// The streaming attributes of a program reach the partial values: a
// @stream.done field shows only whole, an object waits for its
// @stream.not_null field, a @stream.with_state field carries its state, a
// @@stream.done class shows only whole; the final value is plain.
func TestStreamAttributes(t *testing.T) {
	const src = `
client<llm> GPT {
    provider openai
    options {
        model "gpt-4o-mini"
        base_url env.STUB_URL
        api_key "k"
    }
}
class Step {
    title string @stream.not_null
    detail string @stream.done
}
class Point {
    x int
    y int
    @@stream.done
}
class Plan {
    steps Step[]
    status string @stream.with_state
    points Point[]
}
function MakePlan(goal: string) -> Plan {
    client GPT
    prompt #"Plan: {{ goal }} {{ ctx.output_format }}"#
}
`
	reply := `{"steps": [{"detail": "first boil the water", "title": "Boil"}, {"title": "Steep", "detail": "four minutes"}], "status": "ready to serve", "points": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]}`
	srv := llmstub.New(llmstub.WithRules(llmstub.Rule{Replies: []llmstub.Reply{{Text: reply, ChunkSize: 3}}}))
	defer srv.Close()
	env := func(k string) (string, bool) { return srv.URL(), k == "STUB_URL" }
	e, err := engine.New(engine.MustParse(map[string]string{"main.baml": src}), engine.WithLLMOptions(llm.WithEnv(env)))
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	sawDetailInPart, sawStepBeforeTitle, sawPointInPart := false, false, false
	var final any
	for p, err := range e.Stream(context.Background(), "MakePlan", map[string]any{"goal": "tea"}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Final {
			final = p.Value
			continue
		}
		m := p.Value.(map[string]any)
		st := m["status"].(map[string]any)["state"].(string)
		if len(states) == 0 || states[len(states)-1] != st {
			states = append(states, st)
		}
		for _, s := range m["steps"].([]any) {
			step := s.(map[string]any)
			if d, _ := step["detail"].(string); d != "" && d != "first boil the water" && d != "four minutes" {
				sawDetailInPart = true
			}
			if step["title"] == nil {
				sawStepBeforeTitle = true
			}
		}
		for _, pt := range m["points"].([]any) {
			if pt.(map[string]any)["y"] == nil {
				sawPointInPart = true
			}
		}
	}
	if want := []string{"Pending", "Incomplete", "Complete"}; !reflect.DeepEqual(states, want) {
		t.Errorf("status states %v, want %v", states, want)
	}
	if sawDetailInPart || sawStepBeforeTitle || sawPointInPart {
		t.Errorf("a @stream.done field in part: %v; a step before its @stream.not_null title: %v; a @@stream.done point in part: %v",
			sawDetailInPart, sawStepBeforeTitle, sawPointInPart)
	}
	want, err := e.Call(context.Background(), "MakePlan", map[string]any{"goal": "tea"})
	if err != nil || !reflect.DeepEqual(final, want) || final.(map[string]any)["status"] != "ready to serve" {
		t.Errorf("final %v, Call %v (%v)", final, want, err)
	}
}

// WithPartialEvents records the first partial values of each LLM call as
// events of its span (here the call's root: the LLM function is the one
// called), between its start and end; without it, none.
func TestStreamPartialEvents(t *testing.T) {
	e, rec, _ := streamEngine(t)
	var seen []any
	for p, err := range e.Stream(context.Background(), "ExtractGPT", map[string]any{"text": "x"}, engine.WithPartialEvents(3)) {
		if err != nil {
			t.Fatal(err)
		}
		if !p.Final {
			seen = append(seen, p.Value)
		}
	}
	checkBalanced(t, rec)
	var got []any
	started, ended := false, false
	for _, ev := range rec.Events() {
		if ev.Name != "ExtractGPT" {
			t.Fatalf("event of %s", ev.Name)
		}
		switch ev.Kind {
		case vmspan.EventStart:
			started = true
		case vmspan.EventEnd:
			ended = true
		case vmspan.EventPartial:
			if !started || ended {
				t.Errorf("partial event %+v outside its LLM span", ev)
			}
			got = append(got, ev.Result)
		}
	}
	if len(seen) < 4 || !reflect.DeepEqual(got, seen[:3]) {
		t.Errorf("partial events %v, want the first 3 of %d partial values", got, len(seen))
	}
	rec.Reset()
	for range e.Stream(context.Background(), "ExtractGPT", map[string]any{"text": "x"}) {
	}
	if n := rec.Count(vmspan.EventPartial); n != 0 {
		t.Errorf("%d partial events without WithPartialEvents", n)
	}
}
