package topology_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	respb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/bexrun/bex/integration/internal/deploy"
	"github.com/bexrun/bex/integration/internal/prom"
	"github.com/bexrun/bex/integration/jaegertest"
)

// The load of the gateway benchmarks: senders concurrent OTLP/gRPC clients,
// each request a batch of the size an SDK exports, from replicas distinct
// resources.
const (
	senders         = 4
	tracesPerBatch  = 16
	spansPerTrace   = 32 // a bex request: HTTP spans, engine root, LLM functions, attempts
	pointsPerBatch  = 512
	benchReplicas   = 8
	benchCPUMetric  = "otelcol_process_cpu_seconds_total"
	benchRSSMetric  = "otelcol_process_memory_rss_bytes"
	benchDrainBound = 5 * time.Minute
)

// BenchmarkGatewaySpans measures one gateway process (the Jaeger binary
// running deploy/otelcol-gateway.yaml with its default policies: errors,
// slow traces, a 10% share) taking b.N spans of bex-shaped traces over
// OTLP/gRPC, deciding on every trace and forwarding the kept ones to a sink
// that discards them. It reports spans/s while sending, spans per second of
// the gateway's CPU time (receiving, buffering, deciding, forwarding: the
// figure that scales with cores), and the gateway's RSS at the end. The
// senders share the machine with the gateway: on a small machine spans/s is
// bounded by them too, spans/cpu-s is not.
//
//	cd integration && go test -run '^$' -bench GatewaySpans -benchtime 400000x ./topology
func BenchmarkGatewaySpans(b *testing.B) {
	sink := startSink(b)
	gw := deploy.StartGateway(b, sink.addr, map[string]string{"GATEWAY_DECISION_WAIT": "1s"})
	batches := (b.N + tracesPerBatch*spansPerTrace - 1) / (tracesPerBatch * spansPerTrace)
	reqs := make(chan *coltrace.ExportTraceServiceRequest, batches)
	for i := range batches {
		reqs <- traceBatch(i)
	}
	close(reqs)
	spans := batches * tracesPerBatch * spansPerTrace
	cpu0 := gatewayMetric(b, gw, benchCPUMetric)

	b.ResetTimer()
	start := time.Now()
	refused := send(b, gw, func(ctx context.Context, cc *grpc.ClientConn) (int, error) {
		req, ok := <-reqs
		if !ok {
			return 0, errDone
		}
		_, err := coltrace.NewTraceServiceClient(cc).Export(ctx, req)
		return tracesPerBatch * spansPerTrace, err
	})
	elapsed := time.Since(start)
	b.StopTimer()

	// Every trace is decided decisionWait after its first span.
	if err := prom.Wait(gw.MetricsURL(), "otelcol_processor_tail_sampling_global_count_traces_sampled_total", nil, float64(batches*tracesPerBatch), benchDrainBound); err != nil {
		b.Fatal(err)
	}
	cpu := gatewayMetric(b, gw, benchCPUMetric) - cpu0
	b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(spans)/cpu, "spans/cpu-s")
	b.ReportMetric(gatewayMetric(b, gw, benchRSSMetric)/(1<<20), "MiB-rss")
	b.ReportMetric(float64(refused), "refused")
	b.ReportMetric(float64(sink.spans.Load())/float64(spans), "kept")
}

// BenchmarkGatewayMetricPoints measures one gateway process taking b.N
// metric data points over OTLP/gRPC (cumulative histograms and sums, as the
// OTel SDK sends bex's gen_ai.client.* instruments, from replicas
// resources) into its Prometheus exporter. It reports points/s while
// sending and points per second of the gateway's CPU time.
//
//	cd integration && go test -run '^$' -bench GatewayMetricPoints -benchtime 2000000x ./topology
func BenchmarkGatewayMetricPoints(b *testing.B) {
	sink := startSink(b)
	gw := deploy.StartGateway(b, sink.addr, nil)
	batches := (b.N + pointsPerBatch - 1) / pointsPerBatch
	reqs := make(chan *colmetric.ExportMetricsServiceRequest, batches)
	for i := range batches {
		reqs <- metricBatch(i)
	}
	close(reqs)
	points := batches * pointsPerBatch
	cpu0 := gatewayMetric(b, gw, benchCPUMetric)

	b.ResetTimer()
	start := time.Now()
	refused := send(b, gw, func(ctx context.Context, cc *grpc.ClientConn) (int, error) {
		req, ok := <-reqs
		if !ok {
			return 0, errDone
		}
		_, err := colmetric.NewMetricsServiceClient(cc).Export(ctx, req)
		return pointsPerBatch, err
	})
	elapsed := time.Since(start)
	b.StopTimer()

	if err := prom.Wait(gw.MetricsURL(), "otelcol_receiver_accepted_metric_points_total", nil, float64(points-refused), benchDrainBound); err != nil {
		b.Fatal(err)
	}
	cpu := gatewayMetric(b, gw, benchCPUMetric) - cpu0
	b.ReportMetric(float64(points)/elapsed.Seconds(), "points/s")
	b.ReportMetric(float64(points)/cpu, "points/cpu-s")
	b.ReportMetric(gatewayMetric(b, gw, benchRSSMetric)/(1<<20), "MiB-rss")
	b.ReportMetric(float64(refused), "refused")
}

var errDone = fmt.Errorf("no more requests")

// send runs senders clients, each on its own connection to the gateway,
// calling next until it returns errDone, and returns how many items the
// gateway refused (the memory limiter pushing back).
func send(b *testing.B, gw *jaegertest.Jaeger, next func(context.Context, *grpc.ClientConn) (int, error)) int {
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		cc, err := grpc.NewClient(gw.OTLPGRPCEndpoint(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Close()
		wg.Go(func() {
			for {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				n, err := next(ctx, cc)
				cancel()
				if err == errDone {
					return
				}
				if err != nil {
					refused.Add(int64(n))
				}
			}
		})
	}
	wg.Wait()
	return int(refused.Load())
}

// gatewayMetric reads one of the gateway's own metrics.
func gatewayMetric(b *testing.B, gw *jaegertest.Jaeger, name string) float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fams, err := prom.Scrape(ctx, gw.MetricsURL())
	if err != nil {
		b.Fatal(err)
	}
	v, ok := prom.Sum(fams, name, nil)
	if !ok {
		b.Fatalf("the gateway has no %s", name)
	}
	return v
}

// traceBatch is an export request of tracesPerBatch new traces shaped like
// bex's: a server span, an engine root, and LLM function spans each with a
// chat client span carrying the GenAI attributes; one trace in twenty has
// an error.
func traceBatch(n int) *coltrace.ExportTraceServiceRequest {
	now := uint64(time.Now().UnixNano())
	var spans []*tracepb.Span
	for tr := range tracesPerBatch {
		traceID := make([]byte, 16)
		rand.Read(traceID)
		var parent []byte
		for i := range spansPerTrace {
			id := make([]byte, 8)
			rand.Read(id)
			s := &tracepb.Span{
				TraceId: traceID, SpanId: id, ParentSpanId: parent,
				Name:              "Headline",
				Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
				StartTimeUnixNano: now + uint64(i)*1000, EndTimeUnixNano: now + uint64(i)*1000 + 20_000_000,
				Attributes: []*common.KeyValue{
					str("bex.function.name", "Headline"), str("bex.span.kind", "llm"),
					str("bex.span_id", "0190f8a2-7b1c-7d3e-9a4f-2b6c8d0e1f3a"),
				},
			}
			switch {
			case i == 0:
				s.Name, s.Kind = "POST /triage", tracepb.Span_SPAN_KIND_SERVER
				s.Attributes = []*common.KeyValue{str("http.request.method", "POST"), str("url.path", "/triage"), num("http.response.status_code", 200)}
			case i%2 == 0:
				s.Name, s.Kind = "chat gpt-4o-mini", tracepb.Span_SPAN_KIND_CLIENT
				s.Attributes = append(s.Attributes, str("gen_ai.operation.name", "chat"), str("gen_ai.provider.name", "openai"),
					str("gen_ai.request.model", "gpt-4o-mini"), str("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
					num("gen_ai.usage.input_tokens", 412), num("gen_ai.usage.output_tokens", 38), str("server.address", "api.openai.com"))
			}
			if (n*tracesPerBatch+tr)%20 == 0 && i == spansPerTrace-1 {
				s.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "llm: HTTP 500"}
			}
			if i == 0 {
				parent = id
			}
			spans = append(spans, s)
		}
	}
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   replicaResource(n),
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &common.InstrumentationScope{Name: "github.com/bexrun/bex/otelbridge"}, Spans: spans}},
	}}}
}

// metricBatch is an export request of pointsPerBatch data points: token
// usage and duration histograms and a counter, over models and operations.
func metricBatch(n int) *colmetric.ExportMetricsServiceRequest {
	now := uint64(time.Now().UnixNano())
	start := now - uint64(time.Minute)
	bounds := []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	var hist, sum []*metricpb.HistogramDataPoint
	var counts []*metricpb.NumberDataPoint
	for i := range pointsPerBatch {
		attrs := []*common.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.provider.name", "openai"),
			str("gen_ai.request.model", fmt.Sprintf("model-%d", i%16)), str("bex.function.name", fmt.Sprintf("Fn%d", i/16%8))}
		switch i % 3 {
		case 0:
			hist = append(hist, &metricpb.HistogramDataPoint{Attributes: attrs, StartTimeUnixNano: start, TimeUnixNano: now,
				Count: 15, Sum: ptr(4.2), ExplicitBounds: bounds, BucketCounts: make([]uint64, len(bounds)+1)})
		case 1:
			sum = append(sum, &metricpb.HistogramDataPoint{Attributes: append(attrs, str("gen_ai.token.type", "input")), StartTimeUnixNano: start, TimeUnixNano: now,
				Count: 15, Sum: ptr(6180.0), ExplicitBounds: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384}, BucketCounts: make([]uint64, 9)})
		default:
			counts = append(counts, &metricpb.NumberDataPoint{Attributes: attrs, StartTimeUnixNano: start, TimeUnixNano: now,
				Value: &metricpb.NumberDataPoint_AsInt{AsInt: int64(n)}})
		}
	}
	cumulative := metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	return &colmetric.ExportMetricsServiceRequest{ResourceMetrics: []*metricpb.ResourceMetrics{{
		Resource: replicaResource(n),
		ScopeMetrics: []*metricpb.ScopeMetrics{{Scope: &common.InstrumentationScope{Name: "github.com/bexrun/bex"}, Metrics: []*metricpb.Metric{
			{Name: "gen_ai.client.operation.duration", Unit: "s", Data: &metricpb.Metric_Histogram{Histogram: &metricpb.Histogram{DataPoints: hist, AggregationTemporality: cumulative}}},
			{Name: "gen_ai.client.token.usage", Unit: "{token}", Data: &metricpb.Metric_Histogram{Histogram: &metricpb.Histogram{DataPoints: sum, AggregationTemporality: cumulative}}},
			{Name: "bex.bridge.spans.ended", Unit: "{span}", Data: &metricpb.Metric_Sum{Sum: &metricpb.Sum{DataPoints: counts, AggregationTemporality: cumulative, IsMonotonic: true}}},
		}}},
	}}}
}

func replicaResource(n int) *respb.Resource {
	return &respb.Resource{Attributes: []*common.KeyValue{
		str("service.name", "triage"), str("service.instance.id", fmt.Sprintf("triage-%d", n%benchReplicas)),
		str("telemetry.sdk.language", "go"), str("telemetry.sdk.name", "opentelemetry"),
	}}
}

func str(k, v string) *common.KeyValue {
	return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *common.KeyValue {
	return &common.KeyValue{Key: k, Value: &common.AnyValue{Value: &common.AnyValue_IntValue{IntValue: v}}}
}

func ptr[T any](v T) *T { return &v }

// sink is an OTLP/gRPC trace receiver that counts the spans it gets and
// keeps nothing: the gateway's store in the benchmarks.
type sink struct {
	coltrace.UnimplementedTraceServiceServer
	addr  string
	spans atomic.Int64
}

func (s *sink) Export(_ context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	s.spans.Add(int64(n))
	return &coltrace.ExportTraceServiceResponse{}, nil
}

func startSink(b *testing.B) *sink {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &sink{addr: l.Addr().String()}
	srv := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(srv, s)
	go srv.Serve(l)
	b.Cleanup(srv.Stop)
	return s
}
