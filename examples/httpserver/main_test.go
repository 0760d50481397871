package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// TestHandlerSpanParentsBexSpans checks that the otelhttp server span of a
// request is the parent of the engine's root span, in one trace.
func TestHandlerSpanParentsBexSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithIDGenerator(otelbridge.IDGenerator()))
	otel.SetTracerProvider(tp)
	shutdown, err := bex.Setup(context.Background(), bex.WithTracerProvider(tp), bex.WithTraceFile(""), bex.WithOTLP(false))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	stub := llmstub.New()
	defer stub.Close()
	eng, err := newEngine(func(k string) (string, bool) {
		return map[string]string{"OPENAI_BASE_URL": stub.URL() + "/v1", "OPENAI_API_KEY": "k"}[k], true
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(eng))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/triage", "text/plain", strings.NewReader("The login page is down. Nobody can sign in."))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Result  string `json:"result"`
		TraceID string `json:"trace_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	if !strings.HasSuffix(body.Result, "score 13)") {
		t.Errorf("result = %q", body.Result)
	}
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
		if s.SpanContext().TraceID().String() != body.TraceID {
			t.Errorf("span %s in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), body.TraceID)
		}
	}
	http, root, llmSpan := byName["POST /triage"], byName["Triage"], byName["ClassifyTicket"]
	if http == nil || root == nil || llmSpan == nil || byName["chat gpt-4o-mini"] == nil {
		t.Fatalf("spans = %v", byName)
	}
	if root.Parent().SpanID() != http.SpanContext().SpanID() {
		t.Errorf("Triage's parent = %s, want the HTTP span %s", root.Parent().SpanID(), http.SpanContext().SpanID())
	}
	if llmSpan.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Error("ClassifyTicket must be a child of Triage")
	}
}
