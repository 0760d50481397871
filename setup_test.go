package bex_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/vmspan"
)

func TestSetupTraceFileAndProvider(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	t.Setenv("BEX_TRACE_FILE", path)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	shutdown, err := bex.Setup(context.Background(), bex.WithTracerProvider(tp))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.MustParse(map[string]string{"m.baml": `function add(a: int, b: int) -> int { a + b }`}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := vmspan.Start(context.Background(), "handler")
	if got, err := e.Call(ctx, "add", []any{1, 2}); err != nil || got != int64(3) {
		t.Fatal(got, err)
	}
	span.End(nil, nil)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if vmspan.Default().Sink() != nil {
		t.Error("shutdown must restore a default tracer with no sink")
	}
	var starts, ends int
	for ev, err := range jsonl.ReadFile(path) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case vmspan.EventStart:
			starts++
		case vmspan.EventEnd:
			ends++
		}
	}
	if starts != 2 || ends != 2 {
		t.Errorf("trace file has %d starts and %d ends, want 2 and 2", starts, ends)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("OTel spans = %d, want 2", len(spans))
	}
	names := spans[0].Name() + "," + spans[1].Name()
	if names != "add,handler" || spans[0].Parent().SpanID() != spans[1].SpanContext().SpanID() {
		t.Errorf("spans %s, add's parent %v", names, spans[0].Parent().SpanID())
	}
}

func TestSetupNothingConfigured(t *testing.T) {
	t.Setenv("BEX_TRACE_FILE", "")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	shutdown, err := bex.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if vmspan.Default().Sink() != nil {
		t.Error("with nothing configured the default tracer must have no sink (no tracing work)")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSetupBadTraceFile(t *testing.T) {
	_, err := bex.Setup(context.Background(), bex.WithTraceFile(filepath.Join(t.TempDir(), "missing-dir", "x", "t.jsonl")))
	if err == nil || !strings.Contains(err.Error(), "trace file") {
		t.Fatalf("err = %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(t.TempDir(), "missing-dir")); statErr == nil {
		t.Error("no directory should be created")
	}
}
