package jaegertest_test

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/jaegertest"
)

// TestSmoke exports a parent and a child span with the OTel SDK over OTLP/gRPC
// and reads them back from Jaeger's query API.
func TestSmoke(t *testing.T) {
	j := jaegertest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	exp, err := otlptracegrpc.New(ctx,
		otlptracegrpc.WithEndpoint(j.OTLPGRPCEndpoint()),
		otlptracegrpc.WithInsecure(),
	)
	if err != nil {
		t.Fatalf("creating the OTLP exporter: %v", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "bex-smoke"))),
	)
	tracer := tp.Tracer("github.com/bexrun/bex/integration/jaegertest")

	_, parent := tracer.Start(ctx, "parent", trace.WithAttributes(
		attribute.String("bex.smoke.word", "hello"),
		attribute.Int64("bex.smoke.number", 42),
		attribute.Bool("bex.smoke.flag", true),
	))
	_, child := tracer.Start(trace.ContextWithSpan(ctx, parent), "child")
	child.AddEvent("halfway", trace.WithAttributes(attribute.String("bex.smoke.note", "noted")))
	child.End()
	parent.End()

	if err := tp.Shutdown(ctx); err != nil { // flushes the batch
		t.Fatalf("shutting down the tracer provider: %v", err)
	}

	traceID := parent.SpanContext().TraceID().String()
	tr := j.WaitTrace(t, traceID, 2)

	if len(tr.Spans) != 2 {
		t.Fatalf("trace %s has %d spans, want 2", traceID, len(tr.Spans))
	}
	p, c := tr.SpanByName("parent"), tr.SpanByName("child")
	if p == nil || c == nil {
		t.Fatalf("trace %s lacks span parent or child: %+v", traceID, tr.Spans)
	}
	if got, want := p.SpanID, parent.SpanContext().SpanID().String(); got != want {
		t.Errorf("parent span id = %s, want %s", got, want)
	}
	if got, want := c.SpanID, child.SpanContext().SpanID().String(); got != want {
		t.Errorf("child span id = %s, want %s", got, want)
	}
	if got := c.ParentSpanID(); got != p.SpanID {
		t.Errorf("child's CHILD_OF reference = %q, want parent span id %s (references: %+v)", got, p.SpanID, c.References)
	}
	if got := p.ParentSpanID(); got != "" {
		t.Errorf("parent has a CHILD_OF reference to %s, want none", got)
	}
	for _, s := range []*jaegertest.Span{p, c} {
		if got := tr.ServiceName(s); got != "bex-smoke" {
			t.Errorf("span %s: service name = %q, want bex-smoke", s.OperationName, got)
		}
	}
	for key, want := range map[string]any{
		"bex.smoke.word":   "hello",
		"bex.smoke.number": int64(42),
		"bex.smoke.flag":   true,
	} {
		if got, ok := p.Tag(key); !ok || got != want {
			t.Errorf("parent tag %s = %#v (present %v), want %#v; tags: %+v", key, got, ok, want, p.Tags)
		}
	}
	if len(c.Logs) != 1 {
		t.Errorf("child has %d logs, want 1 (the event): %+v", len(c.Logs), c.Logs)
	} else if got, _ := c.Logs[0].Fields.Get("bex.smoke.note"); got != "noted" {
		t.Errorf("child log fields = %+v, want bex.smoke.note=noted", c.Logs[0].Fields)
	}
	if c.StartTime.Before(p.StartTime) || c.StartTime.Add(c.Duration).After(p.StartTime.Add(p.Duration)) {
		t.Errorf("child [%v +%v] not within parent [%v +%v]", c.StartTime, c.Duration, p.StartTime, p.Duration)
	}
	if d := time.Since(p.StartTime); d < 0 || d > time.Minute {
		t.Errorf("parent start time %v is %v away from now", p.StartTime, d)
	}

	services, err := j.Services(ctx)
	if err != nil {
		t.Fatalf("listing services: %v", err)
	}
	if !slices.Contains(services, "bex-smoke") {
		t.Errorf("services = %v, want to contain bex-smoke", services)
	}

	if _, err := j.Trace(ctx, "0123456789abcdef0123456789abcdef"); !errors.Is(err, jaegertest.ErrTraceNotFound) {
		t.Errorf("Trace(unknown id) error = %v, want ErrTraceNotFound", err)
	}
}

// TestStop checks that the cleanup registered by Start stops Jaeger.
func TestStop(t *testing.T) {
	var j *jaegertest.Jaeger
	t.Run("running", func(t *testing.T) {
		j = jaegertest.Start(t)
	})
	if j == nil {
		t.Skip("Jaeger did not start")
	}
	if !j.Exited() {
		t.Fatalf("Jaeger (pid %d) still running after its test's cleanup", j.PID())
	}
	if err := syscall.Kill(j.PID(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(%d, 0) = %v, want ESRCH: process still exists", j.PID(), err)
	}
}
