package bex_test

// End-to-end tests across the engine, the OpenTelemetry bridge, the JSONL
// writer and the Collector.

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

func newProvider() (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithIDGenerator(otelbridge.IDGenerator())), exp
}

// spanKey describes a span by its ids and name, for comparing two exports.
func spanKeys(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = fmt.Sprintf("%s %s parent=%s %s", s.SpanContext.TraceID(), s.SpanContext.SpanID(), s.Parent.SpanID(), s.Name)
	}
	sort.Strings(out)
	return out
}

const hostPipeline = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Run(body: string) -> string {
    let n = fetch(body);
    Headline(body) + " #" + n.to_string()
}
`

// TestLiveIDsEqualReplayedIDs runs a pipeline with the bridge and a JSONL
// writer, then exports the JSONL file through a second provider: the trace
// and span ids of both exports are equal, and a host function's own OTel
// span is a child of the bex host-function span.
func TestLiveIDsEqualReplayedIDs(t *testing.T) {
	stub := llmstub.New()
	defer stub.Close()
	tp, live := newProvider()
	var file bytes.Buffer
	w := jsonl.NewWriter(&file)
	bridge := otelbridge.New(otelbridge.WithTracerProvider(tp))
	host := engine.HostFunc{Name: "fetch", Params: []string{"q: string"}, Result: "int", Traced: true,
		Fn: func(ctx context.Context, args []any) (any, error) {
			_, span := tp.Tracer("app").Start(ctx, "db.query")
			span.End()
			return int64(len(args[0].(string))), nil
		}}
	env := map[string]string{"BASE": stub.URL() + "/v1", "KEY": "k"}
	eng, err := engine.New(engine.MustParse(map[string]string{"p.baml": hostPipeline}),
		engine.WithTracer(vmspan.NewTracer(vmspan.Fanout(w, bridge))), engine.WithHost(host),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}
	// The application's own span is the remote parent of the engine root.
	ctx, app := tp.Tracer("app").Start(context.Background(), "request")
	if _, err := eng.Call(ctx, "Run", []any{"printer on fire"}); err != nil {
		t.Fatal(err)
	}
	app.End()
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := live.GetSpans()
	if len(got) != 6 {
		t.Fatalf("live spans = %d, want 6 (request, Run, fetch, db.query, Headline, chat)", len(got))
	}
	byName := map[string]tracetest.SpanStub{}
	for _, s := range got {
		byName[s.Name] = s
		if s.SpanContext.TraceID() != app.SpanContext().TraceID() {
			t.Errorf("%s is in trace %s, want the application's", s.Name, s.SpanContext.TraceID())
		}
	}
	parentOf := func(child, parent string) {
		t.Helper()
		if byName[child].Parent.SpanID() != byName[parent].SpanContext.SpanID() {
			t.Errorf("%s's parent = %s, want %s", child, byName[child].Parent.SpanID(), parent)
		}
	}
	parentOf("Run", "request")
	parentOf("fetch", "Run")
	parentOf("db.query", "fetch")
	parentOf("Headline", "Run")
	parentOf("chat gpt-4o-mini", "Headline")
	if byName["chat gpt-4o-mini"].SpanKind != trace.SpanKindClient {
		t.Error("the attempt span must be a CLIENT span")
	}

	// Replay the file through a fresh provider: the bex spans come out with
	// the same ids (the app's own spans are not in the file).
	tp2, replayed := newProvider()
	st, err := otelbridge.Export(context.Background(), jsonl.Read(bytes.NewReader(file.Bytes())), otelbridge.WithTracerProvider(tp2))
	if err != nil || st.Unbalanced != 0 || st.Malformed != 0 {
		t.Fatalf("Export: %+v, %v", st, err)
	}
	var liveBex tracetest.SpanStubs
	for _, s := range got {
		if s.Name != "request" && s.Name != "db.query" {
			liveBex = append(liveBex, s)
		}
	}
	a, b := spanKeys(liveBex), spanKeys(replayed.GetSpans())
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("live and replayed spans differ:\nlive:\n%s\nreplayed:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

// TestCollectorThroughEngine: an error two traced levels deep is in the log
// with a duration; 1,000 calls through a Collector leave nothing retained
// once it is closed; two Collectors on one call each see it.
func TestCollectorThroughEngine(t *testing.T) {
	src := `
function Deep(x: int) -> int {
    @@trace
    100 / x
}
function Mid(x: int) -> int {
    @@trace
    Deep(x) + 1
}
function Top(x: int) -> int { Mid(x) }
`
	eng, err := engine.New(engine.MustParse(map[string]string{"c.baml": src}), engine.WithTracer(vmspan.NewTracer(nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before := collector.Retained()
	c1, c2 := collector.New("one"), collector.New("two")
	_, err = eng.Call(ctx, "Top", []any{0}, engine.WithCollector(c1), engine.WithCollector(c2))
	if err == nil {
		t.Fatal("want a division error")
	}
	for _, c := range []*collector.Collector{c1, c2} {
		log := c.Last()
		if len(c.Logs()) != 1 || log.Error == nil || !strings.Contains(log.Error.Message, "division") || log.Timing.Duration <= 0 {
			t.Fatalf("%s: log = %+v", c.Name(), log)
		}
		if len(log.Spans) != 3 || log.Spans[2].Name != "Deep" || log.Spans[2].Error == nil {
			t.Errorf("%s: spans = %+v", c.Name(), log.Spans)
		}
		if log.Usage.InputTokens != nil {
			t.Error("usage of expression calls must be nil")
		}
	}
	c1.Close()
	if c2.Last() == nil {
		t.Error("closing one Collector must leave the other's log")
	}
	c2.Close()

	c := collector.New("bulk")
	for i := range 1000 {
		if _, err := eng.Call(ctx, "Top", []any{i + 1}, engine.WithCollector(c)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.Logs()); n != 1000 {
		t.Fatalf("logs = %d, want 1000", n)
	}
	if collector.Retained() <= before {
		t.Fatal("the store should hold the 1,000 calls' events")
	}
	c.Close()
	if got := collector.Retained(); got != before {
		t.Errorf("after Close the store holds %d events, want %d", got, before)
	}
	if _, err := eng.Call(ctx, "nope", nil, engine.WithCollector(c2)); err == nil || c2.Last() != nil {
		t.Error("a call to an unknown function creates no log")
	}
}

// TestGlobalProviderWithoutIDGenerator: with the application's global
// provider (random ids), bex spans still nest correctly.
func TestGlobalProviderWithoutIDGenerator(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)
	eng, err := engine.New(engine.MustParse(map[string]string{"g.baml": `
function Inner(x: int) -> int {
    @@trace
    x * 2
}
function Outer(x: int) -> int { Inner(x) + 1 }
`}), engine.WithTracer(vmspan.NewTracer(otelbridge.New())))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Call(context.Background(), "Outer", []any{2}); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "Inner" || spans[0].Parent.SpanID() != spans[1].SpanContext.SpanID() {
		t.Fatalf("spans = %v", spanKeys(spans))
	}
}
