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
	"regexp"
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
function Count(body: string) -> int {
    client Fast
    prompt #"
        Count the words of: {{ body }}
    "#
}
function Echo(body: string) -> string @assert(short, {{ this|length < 5 }}) {
    client Claude
    prompt #"
        Echo: {{ body }}
    "#
}
function Refused(body: string) -> string {
    client Claude
    prompt #"
        Refuse: {{ body }}
    "#
}
function Fail(body: string, how: string) -> string {
    if (how == "parse") {
        Count(body).to_string()
    } else if (how == "assert") {
        Echo(body)
    } else if (how == "http") {
        Refused(body)
    } else {
        body.to_int().to_string()
    }
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
	if err := r.try(ctx, fn, body); err != nil {
		t.Fatal(err)
	}
}

// try runs fn with args under the application's own request span and
// returns its error.
func (r *appRig) try(ctx context.Context, fn string, args ...any) error {
	ctx, span := r.tp.Tracer("app").Start(ctx, "request")
	defer span.End()
	_, err := r.eng.Call(ctx, fn, args)
	if ferr := r.w.Flush(context.Background()); ferr != nil {
		return ferr
	}
	return err
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

// failingRules make Fail's LLM functions fail: a reply that is not a
// number, a reply that breaks Echo's @assert, and an HTTP 400 whose body
// echoes the prompt, as providers' validation errors do.
var failingRules = []llmstub.Rule{
	{Contains: "Count the words", Replies: []llmstub.Reply{{Text: "PLATYPUS-REPLY has no number"}}},
	{Contains: "Echo:", Replies: []llmstub.Reply{{Text: "WOMBAT-ASSERTED-VALUE"}}},
	{Contains: "Refuse:", Respond: func(req llmstub.Request) llmstub.Reply {
		return llmstub.Reply{Status: 400, Text: "cannot process the prompt: " + req.Prompt()}
	}},
}

// TestNoContentInErrors: error messages quote content (the reply that
// cannot be parsed, the value that failed an @assert, a provider message
// echoing the prompt, the string the program could not convert); with
// content capture off no exported status, attribute or event has any of
// it, live or replayed from the trace file, and the content-free
// summaries are there instead; with it on, the whole messages are.
func TestNoContentInErrors(t *testing.T) {
	t.Setenv(otelbridge.ContentCaptureEnv, "")
	content := []string{"SECRET-ARGUMENT-VALUE", "PLATYPUS-REPLY", "WOMBAT-ASSERTED-VALUE", "Count the words", "Refuse:"}
	ways := []string{"parse", "assert", "http", "convert"}
	run := func(t *testing.T, o appOpts) *appRig {
		t.Helper()
		o.rules = failingRules
		r := newAppRig(t, o)
		for _, how := range ways {
			if err := r.try(context.Background(), "Fail", "SECRET-ARGUMENT-VALUE", how); err == nil {
				t.Fatalf("Fail(%s) succeeded", how)
			}
		}
		return r
	}
	summaries := []string{
		"cannot parse LLM output of Count: want int, got a string\\n  at Count",
		"cannot parse LLM output of Echo: @assert short failed: {{ this|length < 5 }}",
		"client Claude (anthropic): HTTP 400\\n  at Refused",
		"cannot convert a string to int\\n  at Fail",
	}

	off := run(t, appOpts{})
	all := exported(off.sr.Ended())
	for _, c := range content {
		if strings.Contains(all, c) {
			t.Errorf("%q left the process with content capture off:\n%s", c, all)
		}
	}
	for _, s := range summaries {
		if !strings.Contains(all, s) {
			t.Errorf("summary %q is not on the spans", s)
		}
	}
	for _, name := range []string{"Fail", "Count", "chat gpt-4o-mini"} { // an ancestor, the LLM function and its attempt
		if d := off.spans(name)[0].Status().Description; !strings.HasPrefix(d, "cannot parse LLM output of Count: want int, got a string") {
			t.Errorf("%s: status %q", name, d)
		}
	}
	replayed := replay(t, off.file.Bytes())
	for _, c := range content {
		if strings.Contains(replayed, c) {
			t.Errorf("%q left the process in the export of the trace file", c)
		}
	}
	if !strings.Contains(replayed, summaries[0]) {
		t.Errorf("the export of the trace file has no summaries:\n%s", replayed)
	}
	if !bytes.Contains(off.file.Bytes(), []byte("PLATYPUS-REPLY")) {
		t.Error("the trace file lost the whole messages")
	}

	on := run(t, appOpts{bridge: []otelbridge.Option{otelbridge.WithContentCapture(true)}})
	all = exported(on.sr.Ended())
	for _, c := range content {
		if !strings.Contains(all, c) {
			t.Errorf("%q is not on the spans with content capture on", c)
		}
	}
}

// TestNoContentInOldTraceFiles: a trace file written before errors had
// summaries exports the error type and a fixed text, not the message.
func TestNoContentInOldTraceFiles(t *testing.T) {
	t.Setenv(otelbridge.ContentCaptureEnv, "")
	r := newAppRig(t, appOpts{rules: failingRules})
	if err := r.try(context.Background(), "Fail", "SECRET-ARGUMENT-VALUE", "parse"); err == nil {
		t.Fatal("Fail succeeded")
	}
	old := regexp.MustCompile(`"content_free":true,|,"summary":"(\\.|[^"\\])*"`).ReplaceAll(r.file.Bytes(), nil)
	if bytes.Contains(old, []byte(`"summary"`)) || !bytes.Contains(old, []byte("PLATYPUS-REPLY")) {
		t.Fatalf("the old-style file still has summaries, or lost its messages:\n%s", old)
	}
	replayed := replay(t, old)
	if strings.Contains(replayed, "PLATYPUS-REPLY") || strings.Contains(replayed, "SECRET-ARGUMENT-VALUE") {
		t.Errorf("content left the process:\n%s", replayed)
	}
	if n := strings.Count(replayed, "message withheld"); n < 3 {
		t.Errorf("%d withheld messages, want one per failed span (Fail, Count, its attempt):\n%s", n, replayed)
	}
}

// replay exports a trace file (bex trace export) and returns every
// attribute, event and status of its spans as text.
func replay(t *testing.T, file []byte) string {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	defer tp.Shutdown(context.Background())
	if _, err := otelbridge.Export(context.Background(), jsonl.Read(bytes.NewReader(file)), otelbridge.WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	return exported(sr.Ended())
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
		fmt.Fprintf(&b, "%s %q\n", s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			fmt.Fprintln(&b, kv.Key, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			for _, kv := range e.Attributes {
				fmt.Fprintf(&b, "%s %q\n", kv.Key, kv.Value.Emit())
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
