package bex_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// This example is a Go service that already runs OpenTelemetry: its own
// TracerProvider and propagator, otelhttp on its handler and on its HTTP
// client. bex.Setup bridges into the global provider (building no exporter
// of its own), the engine's spans nest under the handler's span, each LLM
// attempt is a live "chat <model>" span whose trace context the request
// carries, and the instrumented client's span nests under it.
func ExampleSetup_instrumentedService() {
	// The application's OpenTelemetry, as it was before bex.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	defer func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) }()

	// bex joins it: no exporter, no global changed.
	shutdown, err := bex.Setup(context.Background(), bex.WithTraceFile(""))
	if err != nil {
		panic(err)
	}
	defer shutdown(context.Background())

	llmServer := llmstub.New() // an OpenAI-compatible server
	defer llmServer.Close()
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.LLM_URL api_key "k" }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}`}), engine.WithLLMOptions(
		llm.WithEnv(func(string) (string, bool) { return llmServer.URL() + "/v1", true }),
		llm.WithHTTPClient(&http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)})))
	if err != nil {
		panic(err)
	}
	handler := otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := eng.Call(r.Context(), "Headline", []any{"The printer is on fire."})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, h)
	}), "headline")
	srv := httptest.NewServer(handler)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		name := s.Name()
		switch {
		case s.SpanKind() == trace.SpanKindServer:
			name = "handler" // otelhttp's server span
		case s.SpanKind() == trace.SpanKindClient && s.InstrumentationScope().Name != otelbridge.TracerName:
			name = "client" // otelhttp's client span
		}
		spans[name] = s
	}
	parentOf := func(child, parent string) bool {
		return spans[child].Parent().SpanID() == spans[parent].SpanContext().SpanID()
	}
	fmt.Println("Headline under the handler:", parentOf("Headline", "handler"))
	fmt.Println("chat span under Headline:", parentOf("chat gpt-4o-mini", "Headline"))
	fmt.Println("HTTP client span under the chat span:", parentOf("client", "chat gpt-4o-mini"))
	req := llmServer.Requests()[0]
	fmt.Println("the request names the client span:", strings.Contains(req.Header.Get("traceparent"), spans["client"].SpanContext().SpanID().String()))
	// Output:
	// Headline under the handler: true
	// chat span under Headline: true
	// HTTP client span under the chat span: true
	// the request names the client span: true
}
