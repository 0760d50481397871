package otelbridge

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bexrun/bex/vmspan"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// countExporter counts exported spans and keeps none, so that a benchmark
// measures span creation and the batch pipeline, not memory growth.
type countExporter struct{ n atomic.Int64 }

func (e *countExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.n.Add(int64(len(spans)))
	return nil
}

func (e *countExporter) Shutdown(context.Context) error { return nil }

const (
	burstSpans = 100_000
	treeSize   = 10 // a root and nine children
)

// benchArgs are the arguments of every span: in event form for bex, and
// what a hand-written SDK span would encode.
var benchArgs = []vmspan.Arg{{Name: "text", Value: "Ann is 42 years old"}, {Name: "n", Value: int64(3)}}

// bexTrees creates burstSpans spans as trees through tracer, as the engine
// does (root span, traced children, snapshot results).
func bexTrees(tracer *vmspan.Tracer) {
	ctx := context.Background()
	for i := range burstSpans / treeSize {
		root := tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: benchArgs})
		for range treeSize - 1 {
			c := root.StartChild("Helper", vmspan.KindExpr, benchArgs)
			c.EndSnapshot(int64(i), nil)
		}
		root.EndSnapshot(int64(i), nil)
	}
}

// sdkTrees creates the same trees directly with the OTel SDK: the same
// names, explicit times, a UUID span id and the arguments and result as
// JSON attributes.
func sdkTrees(tracer trace.Tracer) {
	ctx := context.Background()
	for i := range burstSpans / treeSize {
		rctx, root := sdkSpan(ctx, tracer, "main", "root")
		for range treeSize - 1 {
			_, c := sdkSpan(rctx, tracer, "Helper", "expr")
			endSDKSpan(c, i)
		}
		endSDKSpan(root, i)
	}
}

// benchArgsJSON is benchArgs encoded once: the SDK baseline does not even
// pay for encoding its arguments, so the ratio is an upper bound.
var benchArgsJSON = `{"text":"Ann is 42 years old","n":3}`

func sdkSpan(ctx context.Context, tracer trace.Tracer, name, kind string) (context.Context, trace.Span) {
	return tracer.Start(ctx, name, trace.WithTimestamp(time.Now()), trace.WithAttributes(
		KeySpanID.String(vmspan.NewSpanID().String()), KeyFunctionName.String(name), KeySpanKind.String(kind),
		KeyArgs.String(benchArgsJSON)))
}

func endSDKSpan(s trace.Span, result int) {
	s.SetAttributes(KeyResult.String(strconv.Itoa(result)))
	s.End(trace.WithTimestamp(time.Now()))
}

// BenchmarkBridge sends bursts of 100,000 spans (10,000 trees of ten)
// through the bridge and, for comparison, creates the same spans directly
// with the SDK; both export through NewProvider's batch pipeline with its
// default sizes. Each op is one burst; ns/span and dropped are reported.
func BenchmarkBridge(b *testing.B) {
	b.Run("Bridge", func(b *testing.B) {
		benchBurst(b, func(p *Provider) { bexTrees(vmspan.NewTracer(New(WithTracerProvider(p)))) })
	})
	b.Run("SDK", func(b *testing.B) {
		benchBurst(b, func(p *Provider) { sdkTrees(p.Tracer("app")) })
	})
	b.Run("VMSpanOnly", func(b *testing.B) { // the tracer's own cost, no bridge
		b.ReportAllocs()
		for b.Loop() {
			bexTrees(vmspan.NewTracer(vmspan.SinkFunc(func(vmspan.Event) {})))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burstSpans), "ns/span")
	})
}

// BenchmarkBridgeRatio alternates a bridge burst and an SDK burst in every
// op, so that both see the same machine load, and reports their ratio.
func BenchmarkBridgeRatio(b *testing.B) {
	var bridge, sdk time.Duration
	for b.Loop() {
		bridge += timedBurst(b, func(p *Provider) { bexTrees(vmspan.NewTracer(New(WithTracerProvider(p)))) })
		sdk += timedBurst(b, func(p *Provider) { sdkTrees(p.Tracer("app")) })
	}
	b.ReportMetric(float64(bridge.Nanoseconds())/float64(b.N*burstSpans), "bridge-ns/span")
	b.ReportMetric(float64(sdk.Nanoseconds())/float64(b.N*burstSpans), "sdk-ns/span")
	b.ReportMetric(float64(bridge)/float64(sdk), "ratio")
}

// timedBurst runs one burst on a fresh provider and returns how long it
// took, shutdown (the final flush) excluded; it fails b if a span was lost.
func timedBurst(b *testing.B, burst func(*Provider)) time.Duration {
	exp := &countExporter{}
	p, err := NewProvider(context.Background(), WithExporter(exp))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	burst(p)
	d := time.Since(start)
	if err := p.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	if s := p.Stats(); s.Dropped != 0 || exp.n.Load() != burstSpans {
		b.Fatalf("dropped %d, exported %d of %d", s.Dropped, exp.n.Load(), burstSpans)
	}
	return d
}

func benchBurst(b *testing.B, burst func(*Provider)) {
	b.ReportAllocs()
	var dropped, exported int64
	for b.Loop() {
		exp := &countExporter{}
		p, err := NewProvider(context.Background(), WithExporter(exp))
		if err != nil {
			b.Fatal(err)
		}
		burst(p)
		b.StopTimer()
		if err := p.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		s := p.Stats()
		dropped += s.Dropped
		exported += exp.n.Load()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burstSpans), "ns/span")
	b.ReportMetric(float64(dropped), "dropped")
	if exported != int64(b.N*burstSpans) {
		b.Errorf("exported %d spans, want %d", exported, b.N*burstSpans)
	}
}

// BenchmarkEmit measures the bridge alone: recorded events of one tree,
// emitted again and again, into a provider that samples nothing but keeps
// the full mapping work (AlwaysSample with a discarding processor).
func BenchmarkEmit(b *testing.B) {
	rec := &recSink{}
	tr := vmspan.NewTracer(rec)
	root := tr.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: benchArgs})
	c := root.StartChild("Helper", vmspan.KindExpr, benchArgs)
	c.EndSnapshot(int64(1), nil)
	root.EndSnapshot(int64(1), nil)
	events := rec.all()
	tp := sdktrace.NewTracerProvider(sdktrace.WithIDGenerator(IDGenerator()))
	defer tp.Shutdown(context.Background())
	br := New(WithTracerProvider(tp))
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range events {
			br.Emit(e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2), "ns/span")
}

func TestHundredThousandSpansNoDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100,000 spans; skipped in -short mode")
	}
	clearOTelEnv(t)
	exp := &countExporter{}
	p, err := NewProvider(context.Background(), WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	b := New(WithTracerProvider(p))
	bexTrees(vmspan.NewTracer(b, vmspan.WithIDs(vmspan.SequentialIDs())))
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := DeliveryStats{Ended: burstSpans, Exported: burstSpans}
	if s := b.Stats(); s.Delivery != want || s.Spans != burstSpans || s.Open != 0 || exp.n.Load() != burstSpans {
		t.Errorf("stats %+v, exported %d; want %+v", s, exp.n.Load(), want)
	}
}
