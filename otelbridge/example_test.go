package otelbridge_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/vmspan"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// printSpans prints spans, sorted by name, with their bex attributes.
func printSpans(spans []sdktrace.ReadOnlySpan) {
	slices.SortFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return strings.Compare(a.Name(), b.Name()) })
	for _, s := range spans {
		fmt.Print(s.Name(), ":")
		for _, kv := range s.Attributes() {
			if kv.Key != otelbridge.KeySpanID {
				fmt.Printf(" %s=%s", kv.Key, kv.Value.Emit())
			}
		}
		fmt.Println()
	}
}

// The bridge as the sink of a vmspan tracer, exporting to an application's
// provider; a host function's OTel span started from the span's ctx is the
// bex span's child.
func Example() {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithIDGenerator(otelbridge.IDGenerator()))
	defer tp.Shutdown(context.Background())
	// Content capture puts arguments and results on the spans; it is off
	// by default.
	tracer := vmspan.NewTracer(otelbridge.New(otelbridge.WithTracerProvider(tp), otelbridge.WithContentCapture(true)))

	ctx, span := tracer.Start(context.Background(), "HandleRequest", "user", "ann", "api_key", "sk-123")
	vmspan.SetTags(ctx, "env", "prod")
	_, db := tp.Tracer("app").Start(ctx, "db.query")
	db.End()
	span.End(map[string]any{"ok": true}, nil)

	spans := sr.Ended()
	printSpans(spans)
	bex, child := spans[0], spans[1]
	fmt.Println("db.query is a child:", child.Parent().SpanID() == bex.SpanContext().SpanID())
	// Output:
	// HandleRequest: bex.function.name=HandleRequest bex.span.kind=host-span bex.args={"user":"ann","api_key":"[REDACTED]"} bex.tag.env=prod bex.result={"ok":true}
	// db.query:
	// db.query is a child: true
}

// Export replays recorded events through the bridge's mapping, giving the
// spans the ids the live bridge gave them.
func ExampleExport() {
	var events []vmspan.Event
	tracer := vmspan.NewTracer(vmspan.SinkFunc(func(e *vmspan.Event) { events = append(events, *e) }))
	_, span := tracer.Start(context.Background(), "Job")
	span.End(nil, fmt.Errorf("disk full"))

	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr), sdktrace.WithIDGenerator(otelbridge.IDGenerator()))
	defer tp.Shutdown(context.Background())
	stream := func(yield func(vmspan.Event, error) bool) { // what a trace file reader yields
		for _, e := range events {
			if !yield(e, nil) {
				return
			}
		}
	}
	stats, err := otelbridge.Export(context.Background(), stream, otelbridge.WithTracerProvider(tp))
	fmt.Println(stats.Spans, stats.Unbalanced, err)
	s := sr.Ended()[0]
	fmt.Println(s.Name(), s.Status().Code, s.Status().Description, s.SpanContext().SpanID() == vmspan.OTelSpanID(events[0].Span.ID))
	// Output:
	// 1 0 <nil>
	// Job Error disk full true
}

// NewProvider builds a provider from the OTEL_* environment; here it exports
// to an in-memory exporter instead of OTLP.
func ExampleNewProvider() {
	exp := tracetest.NewInMemoryExporter()
	tp, err := otelbridge.NewProvider(context.Background(), otelbridge.WithExporter(exp))
	if err != nil {
		fmt.Println(err)
		return
	}
	bridge := otelbridge.New(otelbridge.WithTracerProvider(tp))
	tracer := vmspan.NewTracer(bridge)
	for range 3 {
		_, span := tracer.Start(context.Background(), "step")
		span.End(nil, nil)
	}
	if err := bridge.Flush(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%+v\n", bridge.Stats().Delivery)
	_ = tp.Shutdown(context.Background())
	// Output:
	// {Ended:3 Exported:3 Failed:0 Rejected:0 Pending:0 Dropped:0}
}
