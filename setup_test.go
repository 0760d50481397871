package bex_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
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

// clearOTel unsets the OTEL_* variables a test does not set itself.
func clearOTel(t *testing.T) {
	t.Helper()
	for _, k := range []string{"BEX_TRACE_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"} {
		t.Setenv(k, "")
	}
}

// addEngine returns an engine with one expression function, add.
func addEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.MustParse(map[string]string{"m.baml": `function add(a: int, b: int) -> int { a + b }`}))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSetupBridgesIntoGlobalProvider: with a global TracerProvider set by
// the application, Setup bridges into it and builds no exporter, even
// with an OTLP endpoint in the environment; it sets no global itself.
func TestSetupBridgesIntoGlobalProvider(t *testing.T) {
	clearOTel(t)
	received := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received <- struct{}{} }))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prevTP)
	setupAndCall(t, nil)
	if spans := rec.Ended(); len(spans) != 1 || spans[0].Name() != "add" {
		t.Errorf("the application's provider recorded %d spans, want add", len(spans))
	}
	select {
	case <-received:
		t.Error("Setup exported to the OTLP endpoint: it built an exporter beside the application's provider")
	default:
	}
	if otel.GetTracerProvider() != tp || otel.GetTextMapPropagator() != prevProp {
		t.Error("Setup changed a global")
	}
}

// inChild runs the test named name again in a child process, with
// BEX_TEST_CHILD=1 and env set, and returns its standard output: the
// console exporter writes to the process's own standard output.
func inChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), "BEX_TEST_CHILD=1"), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

// setupAndCall runs Setup from the environment, then check (when not
// nil), and one call, then shuts down.
func setupAndCall(t *testing.T, check func()) {
	t.Helper()
	shutdown, err := bex.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if check != nil {
		check()
	}
	if got, err := addEngine(t).Call(context.Background(), "add", []any{1, 2}); err != nil || got != int64(3) {
		t.Fatal(got, err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestSetupConsoleExporter: OTEL_TRACES_EXPORTER=console prints the spans.
func TestSetupConsoleExporter(t *testing.T) {
	if os.Getenv("BEX_TEST_CHILD") == "1" {
		setupAndCall(t, nil)
		return
	}
	clearOTel(t)
	out := inChild(t, "TestSetupConsoleExporter", "OTEL_TRACES_EXPORTER=console")
	if !strings.Contains(out, `"Name":"add"`) || !strings.Contains(out, "bex.span_id") {
		t.Errorf("console output lacks the span:\n%s", out)
	}
}

// TestSetupSDKDisabled: with OTEL_SDK_DISABLED=true nothing is exported
// (the console exporter prints nothing) and calls still work.
func TestSetupSDKDisabled(t *testing.T) {
	if os.Getenv("BEX_TEST_CHILD") == "1" {
		setupAndCall(t, func() {
			if vmspan.Default().Sink() != nil {
				t.Error("the SDK is disabled: the default tracer should have no sink")
			}
		})
		return
	}
	clearOTel(t)
	out := inChild(t, "TestSetupSDKDisabled", "OTEL_TRACES_EXPORTER=console", "OTEL_SDK_DISABLED=true")
	if strings.Contains(out, `"Name"`) || !strings.Contains(out, "PASS") {
		t.Errorf("with the SDK disabled the child printed:\n%s", out)
	}
}

// TestSetupSetGlobal: WithSetGlobal makes the provider Setup builds and
// the W3C propagator global until shutdown, which restores the previous.
func TestSetupSetGlobal(t *testing.T) {
	clearOTel(t)
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	shutdown, err := bex.Setup(context.Background(), bex.WithOTLP(true), bex.WithSetGlobal(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := otel.GetTracerProvider().(*otelbridge.Provider); !ok {
		t.Errorf("global provider %T, want Setup's", otel.GetTracerProvider())
	}
	if f := otel.GetTextMapPropagator().Fields(); !slices.Contains(f, "traceparent") || !slices.Contains(f, "baggage") {
		t.Errorf("global propagator fields %v", f)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != prevTP || otel.GetTextMapPropagator() != prevProp {
		t.Error("shutdown did not restore the globals")
	}
}
