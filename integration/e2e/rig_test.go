package e2e_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
	"github.com/bexrun/bex/vmspan/spantest"
)

// program is the SPEC §2 pipeline with a second provider (Headline speaks
// Anthropic's Messages API) and a traced host function, lookup.
const program = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.OPENAI_BASE_URL api_key env.OPENAI_API_KEY }
}
client<llm> Claude {
    provider anthropic
    options { model "claude-3-5-haiku-latest" base_url env.ANTHROPIC_BASE_URL api_key env.ANTHROPIC_API_KEY }
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
    client Claude
    prompt #"One line headline for: {{ body }}"#
}
function Score(a: int, b: int) -> int { a * 10 + b }
function Triage(body: string) -> string {
    let t = ClassifyTicket(body);
    let h = Headline(body);
    let owner = lookup(t.title);
    let s = Score(t.priority, 3);
    h + " (" + t.title + ", score " + s.to_string() + ", owner " + owner + ")"
}
`

// Names and values the tests expect.
const (
	service     = "bex-e2e"
	appScope    = "github.com/bexrun/bex/integration/e2e/app"
	apiKey      = "sk-e2e-SECRET-0a1b2c3d"
	openaiModel = "gpt-4o-mini"
	claudeModel = "claude-3-5-haiku-latest"
	chatOpenAI  = "chat " + openaiModel
	chatClaude  = "chat " + claudeModel
	owner       = "team-payments"

	// malformedMarker in a ticket makes the stub answer ClassifyTicket
	// with output that cannot become a Ticket.
	malformedMarker = "MALFORMED"
	wantResult      = "Checkout outage blocks payments (Checkout down, score 13, owner team-payments)"
)

// Usage the stub reports, so that the token attributes have known values.
var (
	classifyUsage = llmstub.Usage{Input: 42, Output: 17, Cached: 5}
	headlineUsage = llmstub.Usage{Input: 30, Output: 6}
)

// stubRules script the stub: a malformed ticket first, then fixed replies.
func stubRules() []llmstub.Rule {
	return []llmstub.Rule{
		{Contains: malformedMarker, Replies: []llmstub.Reply{{Text: `{"title": "x", "priority": "very high"}`}}},
		{API: "openai", Contains: "title and priority", Replies: []llmstub.Reply{{
			Text:  "```json\n{\"title\": \"Checkout down\", \"priority\": 1}\n```",
			Usage: &classifyUsage,
		}}},
		{API: "anthropic", Contains: "headline", Replies: []llmstub.Reply{{
			Text:  "Checkout outage blocks payments",
			Usage: &headlineUsage,
		}}},
	}
}

// byTrace indexes the start and end events by OTel trace id and span name.
func byTrace(r *spantest.Recorder) map[trace.TraceID]map[string][]vmspan.Event {
	m := make(map[trace.TraceID]map[string][]vmspan.Event)
	for _, e := range r.Events() {
		if e.Kind == vmspan.EventSetTags {
			continue
		}
		if m[e.TraceID] == nil {
			m[e.TraceID] = make(map[string][]vmspan.Event)
		}
		m[e.TraceID][e.Name] = append(m[e.TraceID][e.Name], e)
	}
	return m
}

// rig is a bex engine whose spans go through otelbridge to an OTLP exporter
// built by otelbridge.NewProvider from the OTEL_* environment, plus the
// application's own tracer from the same provider.
type rig struct {
	tp     *otelbridge.Provider
	app    trace.Tracer   // the application's own tracer
	tracer *vmspan.Tracer // bex's tracer: the recorder, the bridge, extra sinks
	rec    *spantest.Recorder
	stub   *llmstub.Server
	eng    *engine.Engine

	dbSpans sync.Map // trace.TraceID -> trace.SpanID of the span lookup starts
}

// newRig exports to the OTLP receiver at endpoint (host:port), configured
// the way an application would be: OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_SERVICE_NAME only, so the exporter speaks http/protobuf, the
// default protocol. Extra sinks see every bex event too.
func newRig(t *testing.T, endpoint string, sinks ...vmspan.Sink) *rig {
	t.Helper()
	r := &rig{rec: new(spantest.Recorder)}
	r.tp = newProvider(t, endpoint)
	r.app = r.tp.Tracer(appScope)
	bridge := otelbridge.New(otelbridge.WithTracerProvider(r.tp))
	r.tracer = vmspan.NewTracer(vmspan.Fanout(append([]vmspan.Sink{r.rec, bridge}, sinks...)...),
		vmspan.WithIDs(vmspan.SequentialIDs()))

	r.stub = llmstub.New(llmstub.WithAPIKey(apiKey), llmstub.WithKeep(llmstub.KeepAll), llmstub.WithRules(stubRules()...))
	t.Cleanup(r.stub.Close)
	env := map[string]string{
		"OPENAI_BASE_URL":    r.stub.URL() + "/v1",
		"OPENAI_API_KEY":     apiKey,
		"ANTHROPIC_BASE_URL": r.stub.URL(),
		"ANTHROPIC_API_KEY":  apiKey,
	}
	eng, err := engine.New(engine.MustParse(map[string]string{"triage.baml": program}),
		engine.WithTracer(r.tracer),
		engine.WithHost(r.lookup()),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }),
			llm.WithPropagator(propagation.TraceContext{})))
	if err != nil {
		t.Fatal(err)
	}
	r.eng = eng
	return r
}

// newProvider builds the provider from the environment, as bex.Setup would.
func newProvider(t *testing.T, endpoint string) *otelbridge.Provider {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+endpoint)
	t.Setenv("OTEL_SERVICE_NAME", service)
	tp, err := otelbridge.NewProvider(context.Background(), otelbridge.WithBatchTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) }) // a no-op after shutdown
	return tp
}

// lookup is a traced host function that starts its own OTel span from the
// ctx it is given, as instrumented application code (a database client) does.
func (r *rig) lookup() engine.HostFunc {
	return engine.HostFunc{
		Name: "lookup", Params: []string{"title: string"}, Result: "string", Traced: true,
		Fn: func(ctx context.Context, args []any) (any, error) {
			_, span := r.app.Start(ctx, "db.query", trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system.name", "sqlite"), attribute.String("db.query.text", "SELECT owner FROM teams")))
			defer span.End()
			r.dbSpans.Store(span.SpanContext().TraceID(), span.SpanContext().SpanID())
			return owner, nil
		},
	}
}

// dbSpan returns the span id of the span lookup started in the trace.
func (r *rig) dbSpan(t *testing.T, id trace.TraceID) trace.SpanID {
	t.Helper()
	v, ok := r.dbSpans.Load(id)
	if !ok {
		t.Fatalf("lookup started no span in trace %s", id)
	}
	return v.(trace.SpanID)
}

// shutdown flushes the provider and checks that it lost no span and
// delivered wantSpans.
func (r *rig) shutdown(t *testing.T, wantSpans int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.tp.Shutdown(ctx); err != nil {
		t.Fatalf("provider shutdown: %v", err)
	}
	st := r.tp.Stats()
	if st.Dropped != 0 || st.Failed != 0 || st.Rejected != 0 || st.Pending != 0 {
		t.Errorf("provider lost spans: %+v", st)
	}
	if st.Ended != wantSpans || st.Exported != wantSpans {
		t.Errorf("provider stats %+v: want %d spans ended and exported", st, wantSpans)
	}
}

// triage calls the pipeline with a ticket.
func (r *rig) triage(ctx context.Context, body string) (any, error) {
	return r.eng.Call(ctx, "Triage", map[string]any{"body": body})
}

// node is a span expected in Jaeger.
type node struct {
	name   string
	id     trace.SpanID
	parent trace.SpanID // invalid for the trace's root
}

// tree is the expected shape of one trace.
type tree struct {
	id    trace.TraceID
	nodes []node
}

// add expects a span and returns its id, for use as a parent.
func (w *tree) add(name string, id, parent trace.SpanID) trace.SpanID {
	w.nodes = append(w.nodes, node{name, id, parent})
	return id
}

// bexSpan returns the start event of the only bex span of the trace with
// the name.
func bexSpan(t *testing.T, events map[string][]vmspan.Event, name string) vmspan.Event {
	t.Helper()
	var starts []vmspan.Event
	for _, e := range events[name] {
		if e.Kind == vmspan.EventStart {
			starts = append(starts, e)
		}
	}
	if len(starts) != 1 {
		t.Fatalf("bex span %s: %d start events, want 1", name, len(starts))
	}
	return starts[0]
}

// addPipeline expects the spans of one Triage call under parent: the engine
// root, the LLM functions and their attempts, and lookup (and the span it
// starts, when db is valid). It computes the OTel ids from the bex ids as
// package vmspan documents them. ClassifyTicket failing ends the call.
func (w *tree) addPipeline(t *testing.T, events map[string][]vmspan.Event, parent, db trace.SpanID, failed bool) {
	t.Helper()
	id := func(name string) trace.SpanID { return vmspan.OTelSpanID(bexSpan(t, events, name).Span.ID) }
	root := w.add("Triage", id("Triage"), parent)
	classify := w.add("ClassifyTicket", id("ClassifyTicket"), root)
	w.add(chatOpenAI, vmspan.AttemptSpanID(bexSpan(t, events, "ClassifyTicket").Span.ID, 0), classify)
	if failed {
		return
	}
	headline := w.add("Headline", id("Headline"), root)
	w.add(chatClaude, vmspan.AttemptSpanID(bexSpan(t, events, "Headline").Span.ID, 0), headline)
	lookup := w.add("lookup", id("lookup"), root)
	if db.IsValid() {
		w.add("db.query", db, lookup)
	}
}

// check asserts that Jaeger's trace is exactly the expected tree: the same
// number of spans, each expected span present once under its trace id, with
// its name and its parent. It returns the spans by name.
func (w *tree) check(t *testing.T, tr *jaegertest.Trace) map[string]*jaegertest.Span {
	t.Helper()
	if !sameID(tr.TraceID, w.id.String()) {
		t.Errorf("trace id = %s, want %s", tr.TraceID, w.id)
	}
	if len(tr.Spans) != len(w.nodes) {
		t.Errorf("trace %s has %d spans, want %d:\n%s", w.id, len(tr.Spans), len(w.nodes), describe(tr))
	}
	byName := make(map[string]*jaegertest.Span)
	for _, n := range w.nodes {
		var found []*jaegertest.Span
		for i := range tr.Spans {
			if sameID(tr.Spans[i].SpanID, n.id.String()) {
				found = append(found, &tr.Spans[i])
			}
		}
		if len(found) != 1 {
			t.Errorf("span %s (%s): found %d times, want once:\n%s", n.name, n.id, len(found), describe(tr))
			continue
		}
		s := found[0]
		byName[n.name] = s
		if s.OperationName != n.name {
			t.Errorf("span %s: name %q, want %q", n.id, s.OperationName, n.name)
		}
		if !sameID(s.TraceID, w.id.String()) {
			t.Errorf("span %s: trace id %s, want %s", n.name, s.TraceID, w.id)
		}
		wantParent := ""
		if n.parent.IsValid() {
			wantParent = n.parent.String()
		}
		if got := s.ParentSpanID(); !sameID(got, wantParent) {
			t.Errorf("span %s: parent %q, want %q:\n%s", n.name, got, wantParent, describe(tr))
		}
		if len(s.References) > 1 {
			t.Errorf("span %s: references %+v, want at most one", n.name, s.References)
		}
	}
	return byName
}

// describe prints a trace's spans for failure messages.
func describe(tr *jaegertest.Trace) string {
	var b strings.Builder
	for _, s := range tr.Spans {
		fmt.Fprintf(&b, "  %s %-28s parent=%s\n", s.SpanID, s.OperationName, s.ParentSpanID())
	}
	return b.String()
}

// sameID compares hex ids ignoring case and leading zeros, as Jaeger may
// print them without.
func sameID(a, b string) bool {
	trim := func(s string) string { return strings.TrimLeft(strings.ToLower(s), "0") }
	return trim(a) == trim(b)
}

// closedPort returns host:port of a loopback port that nothing listens on:
// it listens and closes at once.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// tagChecks compares span tags with wanted values; a nil want means the
// tag must be absent.
func tagChecks(t *testing.T, s *jaegertest.Span, want map[string]any) {
	t.Helper()
	for key, w := range want {
		got, ok := s.Tag(key)
		switch {
		case w == nil && ok:
			t.Errorf("span %s: tag %s = %#v, want none", s.OperationName, key, got)
		case w != nil && (!ok || got != w):
			t.Errorf("span %s: tag %s = %#v (present %v), want %#v", s.OperationName, key, got, ok, w)
		}
	}
}
