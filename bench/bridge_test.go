//go:build unix

package bench

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/vmspan"
)

const (
	burstSpans = 100_000
	treeSize   = 10 // a root and nine children
)

// bridgeArgs are the arguments of every span.
var bridgeArgs = []vmspan.Arg{{Name: "text", Value: "Ann is 42 years old"}, {Name: "n", Value: int64(3)}}

// BenchmarkBridge100k sends 100,000 spans (10,000 trees of a root and nine
// children, each with two arguments and a result) through otelbridge, and
// creates the same spans directly with the OTel SDK: the same names, times,
// bex span id and JSON-encoded arguments and result as attributes. Both
// export through otelbridge.NewProvider's batch pipeline into an in-memory
// exporter (tracetest.InMemoryExporter). A burst ends with the provider's
// Shutdown, so the figures include the export, and a full collection
// before each keeps the garbage of one from being paid for by the other.
// Both see the same machine load and neither is favoured by going first:
// one untimed burst of each warms the process up (the first burst of a
// process grows the heap from nothing, which costs it about a third more),
// and then every op runs two bursts of each, in the order bridge, SDK, SDK,
// bridge. Metrics are per span, prefixed with bridge: and sdk:; a burst
// that loses a span fails. SPEC §7: bridge/sdk ≤ 1.2, zero dropped.
func BenchmarkBridge100k(b *testing.B) {
	var bridge, sdk, warm burstCost
	bridgeBurst := func(p *otelbridge.Provider) {
		bexTrees(vmspan.NewTracer(otelbridge.New(otelbridge.WithTracerProvider(p))))
	}
	sdkBurst := func(p *otelbridge.Provider) { sdkTrees(p.Tracer("app")) }
	warm.add(b, bridgeBurst) // b.Loop starts timing afresh
	warm.add(b, sdkBurst)
	for b.Loop() {
		bridge.add(b, bridgeBurst)
		sdk.add(b, sdkBurst)
		sdk.add(b, sdkBurst)
		bridge.add(b, bridgeBurst)
	}
	bridge.report(b, "bridge", 2*b.N)
	sdk.report(b, "sdk", 2*b.N)
}

type burstCost struct {
	wall, cpu time.Duration
	dropped   int64
}

// memExporter is an in-memory exporter that keeps its spans at Shutdown
// (tracetest.InMemoryExporter forgets them), so that they can be counted.
type memExporter struct{ *tracetest.InMemoryExporter }

func (memExporter) Shutdown(context.Context) error { return nil }

// add runs one burst on a fresh provider with an in-memory exporter.
func (c *burstCost) add(b *testing.B, burst func(*otelbridge.Provider)) {
	b.StopTimer()
	runtime.GC() // collect the last burst's spans outside the figures
	b.StartTimer()
	exp := memExporter{tracetest.NewInMemoryExporter()}
	p, err := otelbridge.NewProvider(context.Background(), otelbridge.WithExporter(exp))
	if err != nil {
		b.Fatal(err)
	}
	start, cpu := time.Now(), cpuTime()
	burst(p)
	if err := p.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	c.wall += time.Since(start)
	c.cpu += cpuTime() - cpu
	c.dropped += p.Stats().Dropped
	if n := len(exp.GetSpans()); n != burstSpans {
		b.Fatalf("exported %d spans of %d (dropped %d)", n, burstSpans, p.Stats().Dropped)
	}
}

func (c *burstCost) report(b *testing.B, name string, n int) {
	spans := float64(n * burstSpans)
	b.ReportMetric(float64(c.wall.Nanoseconds())/spans, name+":ns/span")
	b.ReportMetric(float64(c.cpu.Nanoseconds())/spans, name+":cpu-ns/span")
	b.ReportMetric(float64(c.dropped), name+":dropped")
}

// bexTrees creates burstSpans spans as trees through tracer, as the engine
// does (a root span, traced frames followed by a FrameTracker, snapshot
// results).
func bexTrees(tracer *vmspan.Tracer) {
	ctx := context.Background()
	for i := range burstSpans / treeSize {
		frames := vmspan.NewFrameTracker(ctx, tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot, Args: bridgeArgs}))
		for range treeSize - 1 {
			frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Helper", Kind: vmspan.KindExpr, Args: bridgeArgs})
			frames.ExitFrame(2, int64(i), nil)
		}
		frames.End(int64(i), nil)
	}
}

// sdkTrees creates the same trees directly with the OTel SDK, as
// hand-written instrumentation would.
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

type sdkArgs struct {
	Text string `json:"text"`
	N    int64  `json:"n"`
}

func sdkSpan(ctx context.Context, tracer trace.Tracer, name, kind string) (context.Context, trace.Span) {
	args, _ := json.Marshal(sdkArgs{Text: bridgeArgs[0].Value.(string), N: bridgeArgs[1].Value.(int64)})
	return tracer.Start(ctx, name, trace.WithTimestamp(time.Now()), trace.WithAttributes(
		otelbridge.KeySpanID.String(vmspan.NewSpanID().String()), otelbridge.KeyFunctionName.String(name),
		otelbridge.KeySpanKind.String(kind), otelbridge.KeyArgs.String(string(args))))
}

func endSDKSpan(s trace.Span, result int) {
	s.SetAttributes(otelbridge.KeyResult.String(strconv.Itoa(result)))
	s.End(trace.WithTimestamp(time.Now()))
}
