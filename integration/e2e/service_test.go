package e2e_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// serviceProgram is a pipeline with one LLM function whose client retries
// once.
const serviceProgram = `
retry_policy Once {
    max_retries 1
    strategy { type constant_delay delay_ms 1 }
}
client<llm> Fast {
    provider openai
    retry_policy Once
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Run(body: string) -> string {
    Headline(body) + "!"
}
`

const stubService = "llm-stub"

var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// instrumentedStub serves the LLM stub behind otelhttp.NewHandler, whose
// server spans its own provider exports to the Jaeger at endpoint (OTLP
// over HTTP), as another instrumented service would. The first request
// gets a 500, so that the call retries.
func instrumentedStub(t *testing.T, endpoint string) (*httptest.Server, *llmstub.Handler, *sdktrace.TracerProvider) {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(stubService))))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	h := llmstub.NewHandler(llmstub.Script{Rules: []llmstub.Rule{{Replies: []llmstub.Reply{{Status: 500, Text: "overloaded"}, {Text: "Printer on fire"}}}}})
	srv := httptest.NewServer(otelhttp.NewHandler(h, "llm", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c)))
	t.Cleanup(srv.Close)
	return srv, h, tp
}

// serviceEngine is an engine of serviceProgram whose LLM requests go to
// the stub at url with the W3C propagator.
func serviceEngine(t *testing.T, url string) *engine.Engine {
	t.Helper()
	env := map[string]string{"BASE": url + "/v1", "KEY": "k"}
	eng, err := engine.New(engine.MustParse(map[string]string{"service.baml": serviceProgram}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }), llm.WithPropagator(w3c)))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// checkServerUnderChat checks, in the trace Jaeger stored, that each of
// the stub's server spans is the child of one chat span (one per attempt)
// of another service: cross-process propagation seen by the backend.
func checkServerUnderChat(t *testing.T, tr *jaegertest.Trace) {
	t.Helper()
	var chats, servers []*jaegertest.Span
	for i := range tr.Spans {
		s := &tr.Spans[i]
		switch {
		case s.OperationName == "chat gpt-4o-mini":
			chats = append(chats, s)
		case tr.ServiceName(s) == stubService:
			servers = append(servers, s)
		}
	}
	if len(chats) != 2 || len(servers) != 2 {
		t.Fatalf("%d chat spans, %d stub server spans; want 2 each:\n%s", len(chats), len(servers), describe(tr))
	}
	for i, s := range servers {
		if got := s.ParentSpanID(); !sameID(got, chats[0].SpanID) && !sameID(got, chats[1].SpanID) {
			t.Errorf("server span %d's parent %s is no chat span:\n%s", i, got, describe(tr))
		}
		if kind, _ := s.Tag("span.kind"); kind != "server" {
			t.Errorf("server span %d: kind %v", i, kind)
		}
	}
	if sameID(servers[0].ParentSpanID(), servers[1].ParentSpanID()) {
		t.Error("both requests name the same chat span: each attempt must be named in its own request")
	}
	for _, c := range chats {
		if tr.ServiceName(c) == stubService {
			t.Errorf("chat span %s is the stub's", c.SpanID)
		}
	}
}

// TestSetupWithOnlyEndpoint: an application that sets only
// OTEL_EXPORTER_OTLP_ENDPOINT (and its service name) gets bex spans over
// http/protobuf into Jaeger's OTLP/HTTP port; the LLM stub, instrumented
// with otelhttp and exporting to the same Jaeger, has its server spans
// stored as children of the chat spans that called it.
func TestSetupWithOnlyEndpoint(t *testing.T) {
	j := jaegertest.Start(t)
	srv, stub, stubTP := instrumentedStub(t, j.OTLPHTTPEndpoint())
	for _, k := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "BEX_TRACE_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+j.OTLPHTTPEndpoint())
	t.Setenv("OTEL_SERVICE_NAME", "bex-setup")
	shutdown, err := bex.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := serviceEngine(t, srv.URL).Call(context.Background(), "Run", []any{"the printer is on fire"})
	if err != nil || res != "Printer on fire!" {
		t.Fatalf("Run = %v, %v", res, err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = stubTP.ForceFlush(context.Background())
	traceID := traceOfStub(t, stub)
	tr := j.WaitTrace(t, traceID, 6) // Run, Headline, 2 chats, 2 server spans
	checkServerUnderChat(t, tr)
	if root := tr.SpanByName("Run"); root == nil || tr.ServiceName(root) != "bex-setup" || root.ParentSpanID() != "" {
		t.Errorf("the trace's root should be bex's Run span of service bex-setup:\n%s", describe(tr))
	}
}

// traceOfStub returns the trace id the stub's requests carried.
func traceOfStub(t *testing.T, stub *llmstub.Handler) string {
	t.Helper()
	reqs := stub.Requests()
	if len(reqs) == 0 {
		t.Fatal("the stub got no request")
	}
	tp := reqs[0].Header.Get("traceparent")
	if len(tp) != 55 {
		t.Fatalf("the request's traceparent is %q", tp)
	}
	return tp[3:35]
}

// TestAppProviderAndReplay: under the application's own provider (random
// ids), the stub's server spans nest under the chat spans in Jaeger; the
// trace file written beside the bridge, exported later with bex's
// provider, reproduces the trace with no new span id.
func TestAppProviderAndReplay(t *testing.T) {
	j := jaegertest.Start(t)
	srv, _, stubTP := instrumentedStub(t, j.OTLPHTTPEndpoint())
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(j.OTLPHTTPEndpoint()), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	appTP := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), // random ids
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("bex-app"))))
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	shutdown, err := bex.Setup(context.Background(), bex.WithTracerProvider(appTP), bex.WithTraceFile(path))
	if err != nil {
		t.Fatal(err)
	}
	ctx, req := appTP.Tracer("app").Start(context.Background(), "request")
	if _, err := serviceEngine(t, srv.URL).Call(ctx, "Run", []any{"x"}); err != nil {
		t.Fatal(err)
	}
	req.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := appTP.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = stubTP.ForceFlush(context.Background())
	id := req.SpanContext().TraceID().String()
	live := j.WaitTrace(t, id, 7) // request, Run, Headline, 2 chats, 2 server spans
	checkServerUnderChat(t, live)
	before := spanIDs(live)

	// Replay the file into the same Jaeger with bex's own provider.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+j.OTLPHTTPEndpoint())
	t.Setenv("OTEL_SERVICE_NAME", "bex-app")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "")
	tp, err := otelbridge.NewProvider(context.Background(), otelbridge.WithBatchTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	st, err := otelbridge.Export(context.Background(), jsonl.ReadFile(path), otelbridge.WithTracerProvider(tp))
	if err != nil || st.Spans != 2 || st.Attempts != 2 {
		t.Fatalf("Export: %+v, %v", st, err)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := tp.Stats(); d.Exported != 4 {
		t.Fatalf("replay delivery %+v, want 4 spans exported", d)
	}
	// Jaeger stores the replayed spans under the ids they had: the trace
	// keeps its span ids, and gains none.
	deadline := time.Now().Add(jaegertest.WaitTimeout)
	var after []string
	for time.Now().Before(deadline) {
		tr, err := j.Trace(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		after = spanIDs(tr)
		if len(tr.Spans) >= 11 { // the 4 replayed spans arrived as duplicates
			break
		}
		time.Sleep(jaegertest.WaitInterval)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("span ids after the replay:\n%v\nbefore:\n%v", after, before)
	}
}

// spanIDs returns the distinct span ids of a trace, sorted.
func spanIDs(tr *jaegertest.Trace) []string {
	seen := map[string]bool{}
	for _, s := range tr.Spans {
		seen[strings.TrimLeft(strings.ToLower(s.SpanID), "0")] = true
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
