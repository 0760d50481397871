package bex_test

// bex inside a Go service that already runs OpenTelemetry: the
// application's own TracerProvider (random ids, its sampler), its
// propagator, an otelhttp client; what leaves the process; replay.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

const appProgram = `
retry_policy Twice {
    max_retries 2
    strategy { type constant_delay delay_ms 1 }
}
client<llm> Fast {
    provider openai
    retry_policy Twice
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
client<llm> Claude {
    provider anthropic
    options { model "claude-haiku-4-5" base_url env.ANTHROPIC_BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"
        {{ _.role("system") }} Write one line. Never reveal the codeword.
        {{ _.role("user") }} A headline for: {{ body }}
    "#
}
function Summary(body: string) -> string {
    client Claude
    prompt #"
        {{ _.role("system") }} Summarize in five words.
        {{ _.role("user") }} {{ body }}
    "#
}
function Run(body: string) -> string {
    Headline(body) + " / " + Summary(body)
}
`

var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// appRig is an engine whose spans go through the bridge into the
// application's own provider (random ids, a SpanRecorder), and to a trace
// file; its LLM requests go to a stub.
type appRig struct {
	stub *llmstub.Server
	sr   *tracetest.SpanRecorder
	tp   *sdktrace.TracerProvider
	eng  *engine.Engine
	file bytes.Buffer
	w    *jsonl.Writer
}

type appOpts struct {
	sampler sdktrace.Sampler
	client  func(tp trace.TracerProvider) *http.Client
	bridge  []otelbridge.Option
	rules   []llmstub.Rule
}

func newAppRig(t *testing.T, o appOpts) *appRig {
	t.Helper()
	r := &appRig{stub: llmstub.New(llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(o.rules...)), sr: tracetest.NewSpanRecorder()}
	t.Cleanup(r.stub.Close)
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(r.sr)} // random ids
	if o.sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(o.sampler))
	}
	r.tp = sdktrace.NewTracerProvider(tpOpts...)
	t.Cleanup(func() { _ = r.tp.Shutdown(context.Background()) })
	r.w = jsonl.NewWriter(&r.file)
	bridge := otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(r.tp)}, o.bridge...)...)
	env := map[string]string{"BASE": r.stub.URL() + "/v1", "ANTHROPIC_BASE": r.stub.URL(), "KEY": "sk-app-SECRET-key"}
	llmOpts := []llm.Option{llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }), llm.WithPropagator(w3c)}
	if o.client != nil {
		llmOpts = append(llmOpts, llm.WithHTTPClient(o.client(r.tp)))
	}
	var err error
	r.eng, err = engine.New(engine.MustParse(map[string]string{"app.baml": appProgram}),
		engine.WithTracer(vmspan.NewTracer(vmspan.Fanout(r.w, bridge))), engine.WithLLMOptions(llmOpts...))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// call runs fn under the application's own request span.
func (r *appRig) call(t *testing.T, ctx context.Context, fn, body string) {
	t.Helper()
	ctx, span := r.tp.Tracer("app").Start(ctx, "request")
	defer span.End()
	if _, err := r.eng.Call(ctx, fn, []any{body}); err != nil {
		t.Fatal(err)
	}
	if err := r.w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// spans returns the recorded spans named name, in the order they started.
func (r *appRig) spans(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.sr.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].StartTime().Before(out[j-1].StartTime()); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// TestAppProviderHeaderNamesExportedSpan: with the application's provider
// (random ids) each LLM request's traceparent names the chat span that is
// exported, with the sampled flag; retries give one chat span per attempt,
// each named in its own request.
func TestAppProviderHeaderNamesExportedSpan(t *testing.T) {
	r := newAppRig(t, appOpts{rules: []llmstub.Rule{{Contains: "headline", Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}, {Text: "Printer on fire"}}}}})
	r.call(t, context.Background(), "Headline", "the printer is on fire")
	chats := r.spans("chat gpt-4o-mini")
	reqs := r.stub.Requests()
	if len(chats) != 2 || len(reqs) != 2 {
		t.Fatalf("%d chat spans, %d requests; want 2 and 2", len(chats), len(reqs))
	}
	fn := r.spans("Headline")[0]
	for i, s := range chats {
		want := fmt.Sprintf("00-%s-%s-01", s.SpanContext().TraceID(), s.SpanContext().SpanID())
		if got := reqs[i].Header.Get("traceparent"); got != want {
			t.Errorf("request %d: traceparent %q, want the exported chat span %q", i, got, want)
		}
		if s.Parent().SpanID() != fn.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("chat %d: parent %v kind %v, want a CLIENT child of Headline", i, s.Parent().SpanID(), s.SpanKind())
		}
	}
	if attrOf(chats[0], semconv.ErrorTypeKey) != "500" || len(chats[0].Events()) != 1 {
		t.Errorf("the failed attempt: error.type %q, events %v", attrOf(chats[0], semconv.ErrorTypeKey), chats[0].Events())
	}
}

// TestNeverSampledParent: under a parent the application does not sample,
// nothing is recorded and every request says so (-00).
func TestNeverSampledParent(t *testing.T) {
	r := newAppRig(t, appOpts{sampler: sdktrace.ParentBased(sdktrace.NeverSample())})
	r.call(t, context.Background(), "Run", "the printer is on fire")
	if n := len(r.sr.Ended()); n != 0 {
		t.Errorf("%d spans recorded under a never-sampling parent", n)
	}
	reqs := r.stub.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, req := range reqs {
		if tp := req.Header.Get("traceparent"); !strings.HasSuffix(tp, "-00") || len(tp) != 55 {
			t.Errorf("request %d: traceparent %q, want the not-sampled flag", i, tp)
		}
	}
}

// TestBaggageAndTracestateReachServer: the application's baggage and its
// span's tracestate arrive at the LLM server.
func TestBaggageAndTracestateReachServer(t *testing.T) {
	r := newAppRig(t, appOpts{})
	ts, _ := trace.ParseTraceState("vendor=abc")
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	member, _ := baggage.NewMember("tenant", "acme")
	bag, _ := baggage.New(member)
	ctx := baggage.ContextWithBaggage(trace.ContextWithRemoteSpanContext(context.Background(), parent), bag)
	r.call(t, ctx, "Headline", "x")
	h := r.stub.Requests()[0].Header
	if h.Get("baggage") != "tenant=acme" || h.Get("tracestate") != "vendor=abc" {
		t.Errorf("baggage %q, tracestate %q", h.Get("baggage"), h.Get("tracestate"))
	}
	if !strings.HasPrefix(h.Get("traceparent"), "00-"+parent.TraceID().String()) {
		t.Errorf("traceparent %q is not in the application's trace", h.Get("traceparent"))
	}
}

// TestOtelhttpClientUnderChatSpan: an otelhttp-instrumented HTTP client
// puts its span under the chat span, and the request names that span.
func TestOtelhttpClientUnderChatSpan(t *testing.T) {
	r := newAppRig(t, appOpts{client: func(tp trace.TracerProvider) *http.Client {
		return &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c))}
	}})
	r.call(t, context.Background(), "Headline", "x")
	chat := r.spans("chat gpt-4o-mini")
	var client sdktrace.ReadOnlySpan
	for _, s := range r.sr.Ended() {
		if s.SpanKind() == trace.SpanKindClient && s.InstrumentationScope().Name != otelbridge.TracerName {
			client = s
		}
	}
	if len(chat) != 1 || client == nil {
		t.Fatalf("chat spans %d, otelhttp span %v", len(chat), client)
	}
	if client.Parent().SpanID() != chat[0].SpanContext().SpanID() {
		t.Errorf("otelhttp span's parent %v, want the chat span %v", client.Parent().SpanID(), chat[0].SpanContext().SpanID())
	}
	if got := r.stub.Requests()[0].Header.Get("traceparent"); !strings.Contains(got, client.SpanContext().SpanID().String()) {
		t.Errorf("traceparent %q, want the otelhttp span's", got)
	}
}

// TestNoContentLeavesByDefault searches every exported attribute and event
// for the arguments, prompts, system instructions and completions: none
// is there with content capture off; with it on, they are, in the GenAI
// conventions' shapes.
func TestNoContentLeavesByDefault(t *testing.T) {
	t.Setenv(otelbridge.ContentCaptureEnv, "")
	rules := []llmstub.Rule{{Contains: "headline", Replies: []llmstub.Reply{{Text: "ZEBRA-COMPLETION"}}},
		{Contains: "five words", Replies: []llmstub.Reply{{Text: "QUOKKA-COMPLETION"}}}}
	content := []string{"SECRET-ARGUMENT-VALUE", "Never reveal the codeword", "Summarize in five words", "ZEBRA-COMPLETION", "QUOKKA-COMPLETION"}
	off := newAppRig(t, appOpts{rules: rules})
	off.call(t, context.Background(), "Run", "SECRET-ARGUMENT-VALUE")
	if n := len(off.sr.Ended()); n != 6 {
		t.Fatalf("%d spans, want 6 (request, Run, Headline, Summary and two chats)", n)
	}
	all := exported(off.sr.Ended())
	for _, c := range content {
		if strings.Contains(all, c) {
			t.Errorf("%q left the process with content capture off", c)
		}
	}

	on := newAppRig(t, appOpts{rules: rules, bridge: []otelbridge.Option{otelbridge.WithContentCapture(true)}})
	on.call(t, context.Background(), "Run", "SECRET-ARGUMENT-VALUE")
	all = exported(on.sr.Ended())
	for _, c := range content {
		if !strings.Contains(all, c) {
			t.Errorf("%q is not on the spans with content capture on", c)
		}
	}
	openai, claude := on.spans("chat gpt-4o-mini")[0], on.spans("chat claude-haiku-4-5")[0]
	checkJSON(t, attrOf(openai, semconv.GenAIInputMessagesKey), `[{"role":"system","parts":[{"type":"text","content":"Write one line. Never reveal the codeword."}]},{"role":"user","parts":[{"type":"text","content":"A headline for: SECRET-ARGUMENT-VALUE"}]}]`)
	checkJSON(t, attrOf(openai, semconv.GenAIOutputMessagesKey), `[{"role":"assistant","parts":[{"type":"text","content":"ZEBRA-COMPLETION"}],"finish_reason":"stop"}]`)
	checkJSON(t, attrOf(claude, semconv.GenAISystemInstructionsKey), `[{"type":"text","content":"Summarize in five words."}]`)
	checkJSON(t, attrOf(claude, semconv.GenAIInputMessagesKey), `[{"role":"user","parts":[{"type":"text","content":"SECRET-ARGUMENT-VALUE"}]}]`)
	if got := attrOf(on.spans("Run")[0], otelbridge.KeyArgs); got != `{"body":"SECRET-ARGUMENT-VALUE"}` {
		t.Errorf("bex.args = %s", got)
	}
}

// TestReplayUnderAppProvider: the trace file written beside the live
// bridge, whose provider chose random ids, replays (bex trace export) into
// exactly the live trace: no new span id appears.
func TestReplayUnderAppProvider(t *testing.T) {
	r := newAppRig(t, appOpts{rules: []llmstub.Rule{{Contains: "headline", Replies: []llmstub.Reply{{Status: 429}, {Text: "ok"}}}}})
	r.call(t, context.Background(), "Run", "x")
	live := map[string]string{}
	for _, s := range r.sr.Ended() {
		if s.Name() != "request" {
			live[s.SpanContext().SpanID().String()] = s.Name() + " " + s.SpanContext().TraceID().String() + " " + s.Parent().SpanID().String()
		}
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithIDGenerator(otelbridge.IDGenerator()))
	defer tp.Shutdown(context.Background())
	st, err := otelbridge.Export(context.Background(), jsonl.Read(bytes.NewReader(r.file.Bytes())), otelbridge.WithTracerProvider(tp))
	if err != nil || st.Spans != 3 || st.Attempts != 3 {
		t.Fatalf("Export: %+v, %v", st, err)
	}
	replayed := map[string]string{}
	for _, s := range exp.GetSpans() {
		replayed[s.SpanContext.SpanID().String()] = s.Name + " " + s.SpanContext.TraceID().String() + " " + s.Parent.SpanID().String()
	}
	if fmt.Sprint(live) != fmt.Sprint(replayed) {
		t.Errorf("replayed spans differ:\n live     %v\n replayed %v", live, replayed)
	}
}

// exported returns every attribute and event of spans as text.
func exported(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintln(&b, s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			fmt.Fprintln(&b, kv.Key, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				fmt.Fprintln(&b, kv.Key, kv.Value.Emit())
			}
		}
	}
	return b.String()
}

// attrOf returns the attribute k of s as text, or "".
func attrOf(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value.Emit()
		}
	}
	return ""
}

// checkJSON checks that got is valid JSON and equals want.
func checkJSON(t *testing.T, got, want string) {
	t.Helper()
	if !json.Valid([]byte(got)) || got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
