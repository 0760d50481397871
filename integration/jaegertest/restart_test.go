package jaegertest_test

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/bexrun/bex/integration/jaegertest"
)

// TestRestartKeepsTraces starts Jaeger on ports chosen in advance with
// badger storage, stops it, starts it again on the same ports and storage,
// and finds the trace exported before the restart, and one exported after it
// through the same exporter; then kills it (SIGKILL), starts it once more
// and finds both again.
func TestRestartKeepsTraces(t *testing.T) {
	ports, err := jaegertest.FreePorts()
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	j1 := jaegertest.Start(t, jaegertest.WithPorts(ports), jaegertest.WithBadger(store))
	if j1.Ports() != ports {
		t.Fatalf("Ports() = %+v, want %+v", j1.Ports(), ports)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(j1.OTLPGRPCEndpoint()), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "bex-restart"))))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tracer := tp.Tracer("restart")

	_, before := tracer.Start(ctx, "before")
	before.End()
	j1.WaitTrace(t, before.SpanContext().TraceID().String(), 1)
	if err := j1.Stop(); err != nil {
		t.Fatal(err)
	}

	j2 := jaegertest.Start(t, jaegertest.WithPorts(ports), jaegertest.WithBadger(store))
	if j2.OTLPGRPCEndpoint() != j1.OTLPGRPCEndpoint() || j2.QueryURL() != j1.QueryURL() {
		t.Fatalf("restarted on %s / %s, want %s / %s", j2.OTLPGRPCEndpoint(), j2.QueryURL(), j1.OTLPGRPCEndpoint(), j1.QueryURL())
	}
	j2.WaitTrace(t, before.SpanContext().TraceID().String(), 1)
	_, after := tracer.Start(ctx, "after")
	after.End()
	j2.WaitTrace(t, after.SpanContext().TraceID().String(), 1)

	traces, err := j2.FindTraces(ctx, "bex-restart", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 2 {
		t.Errorf("FindTraces found %d traces, want 2 (before and after the restart)", len(traces))
	}

	// Killed, Jaeger keeps what it had stored (WaitTrace saw both traces).
	if err := j2.Kill(); err != nil {
		t.Fatal(err)
	}
	if !j2.Exited() {
		t.Fatal("Jaeger still running after Kill")
	}
	j3 := jaegertest.Start(t, jaegertest.WithPorts(ports), jaegertest.WithBadger(store))
	j3.WaitTrace(t, before.SpanContext().TraceID().String(), 1)
	j3.WaitTrace(t, after.SpanContext().TraceID().String(), 1)
}
