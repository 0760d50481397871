package bex_test

// Tests of bex's metrics through bex.Setup: the GenAI client metrics
// against the Collector's accounting of the same calls, the health
// instruments, and where Setup records them (the application's provider,
// the global one, or one built from the environment and flushed at
// shutdown).

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/collector"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
)

// manualMeter returns a MeterProvider whose metrics collect reads.
func manualMeter(t *testing.T) (*sdkmetric.MeterProvider, func() map[string]metricdata.Metrics) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, func() map[string]metricdata.Metrics {
		var rm metricdata.ResourceMetrics
		if err := r.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		out := map[string]metricdata.Metrics{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				out[m.Name] = m
			}
		}
		return out
	}
}

// triageEngine runs the SPEC §2 pipeline (retrying twice) against a stub
// whose first reply to each ticket classification is a 429, so that every
// call makes three attempts, one of them failed.
func triageEngine(t *testing.T) *engine.Engine {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]bool{}
	stub := llmstub.New(llmstub.WithAPIKey(secretKey), llmstub.WithScript(llmstub.Script{
		Rules: append([]llmstub.Rule{{Contains: "title and priority", Respond: func(r llmstub.Request) llmstub.Reply {
			mu.Lock()
			defer mu.Unlock()
			if body := r.Last("user"); !seen[body] {
				seen[body] = true
				return llmstub.Reply{Status: http.StatusTooManyRequests, Text: "slow down"}
			}
			return llmstub.Reply{Text: `{"title": "Checkout is down", "priority": 1}`}
		}}}, llmstub.Default().Rules...),
	}))
	t.Cleanup(stub.Close)
	env := func(k string) (string, bool) { return secretKey, k == "STUB_API_KEY" }
	sleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	eng, err := engine.New(engine.MustParse(map[string]string{"main.baml": pipeline("openai", stub.URL()+"/v1")}),
		engine.WithLLMOptions(llm.WithEnv(env), llm.WithSleep(sleep)))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// histogram returns the data points of an int64 or float64 histogram as
// (attributes, count, sum) triples.
type histPoint struct {
	attrs attribute.Set
	count uint64
	sum   float64
}

func histogram(t *testing.T, m metricdata.Metrics) []histPoint {
	t.Helper()
	var out []histPoint
	switch h := m.Data.(type) {
	case metricdata.Histogram[int64]:
		for _, p := range h.DataPoints {
			out = append(out, histPoint{p.Attributes, p.Count, float64(p.Sum)})
		}
	case metricdata.Histogram[float64]:
		for _, p := range h.DataPoints {
			out = append(out, histPoint{p.Attributes, p.Count, p.Sum})
		}
	default:
		t.Fatalf("%s is a %T, not a histogram", m.Name, m.Data)
	}
	return out
}

// TestMetricsMatchCollector: for the same calls, the token usage the
// metrics record, by gen_ai.token.type, sums to the Collector's usage, and
// the duration histogram counts every attempt the Collector lists, the
// failed ones with their error.type.
func TestMetricsMatchCollector(t *testing.T) {
	clearOTel(t)
	mp, collect := manualMeter(t)
	tp := sdktrace.NewTracerProvider()
	defer func() { _ = tp.Shutdown(context.Background()) }()
	shutdown, err := bex.Setup(context.Background(), bex.WithTracerProvider(tp), bex.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	eng := triageEngine(t)
	col := collector.New("metrics")
	defer col.Close()
	for i := range 3 {
		body := fmt.Sprintf("Ticket %d: checkout is down for all users.", i)
		if _, err := eng.Call(context.Background(), "Triage", map[string]any{"body": body}, engine.WithCollector(col)); err != nil {
			t.Fatal(err)
		}
	}

	var attempts, failed int
	for _, l := range col.Logs() {
		for _, c := range l.Calls {
			attempts++
			if c.Error != nil {
				failed++
			}
		}
	}
	if attempts != 9 || failed != 3 {
		t.Fatalf("the Collector lists %d attempts, %d failed; want 9 and 3 (the stub fails each first classification)", attempts, failed)
	}
	u := col.Usage()
	if u.InputTokens == nil || u.OutputTokens == nil {
		t.Fatalf("the Collector has no usage: %+v", u)
	}
	got := collect()
	tokens := map[string]float64{}
	for _, p := range histogram(t, got["gen_ai.client.token.usage"]) {
		typ, _ := p.attrs.Value("gen_ai.token.type")
		tokens[typ.AsString()] += p.sum
	}
	if tokens["input"] != float64(*u.InputTokens) || tokens["output"] != float64(*u.OutputTokens) || len(tokens) != 2 {
		t.Errorf("token usage metrics %v, the Collector's usage input %d output %d", tokens, *u.InputTokens, *u.OutputTokens)
	}
	var count, errs uint64
	for _, p := range histogram(t, got["gen_ai.client.operation.duration"]) {
		count += p.count
		if typ, ok := p.attrs.Value("error.type"); ok {
			if typ.AsString() != "429" {
				t.Errorf("error.type %q, want 429", typ.AsString())
			}
			errs += p.count
		}
	}
	if count != uint64(attempts) || errs != uint64(failed) {
		t.Errorf("the duration histogram counts %d attempts, %d with error.type; want %d and %d", count, errs, attempts, failed)
	}
}

// TestHealthInstruments: Setup's health instruments report what its bridge
// and trace file did: spans started and ended, none dropped, and every
// event written or waiting to be.
func TestHealthInstruments(t *testing.T) {
	clearOTel(t)
	mp, collect := manualMeter(t)
	exp := tracetest.NewInMemoryExporter()
	tp, err := otelbridge.NewProvider(context.Background(), otelbridge.WithExporter(exp))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tp.Shutdown(context.Background()) }()
	shutdown, err := bex.Setup(context.Background(), bex.WithTracerProvider(tp), bex.WithMeterProvider(mp),
		bex.WithTraceFile(filepath.Join(t.TempDir(), "trace.jsonl")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	eng := triageEngine(t)
	if _, err := eng.Call(context.Background(), "Triage", map[string]any{"body": "Checkout is down."}); err != nil {
		t.Fatal(err)
	}
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Triage, ClassifyTicket with 2 attempts, Headline with 1: 6 OTel
	// spans; 3 bex spans, 6 events in the trace file (the attempts are in
	// their function's end event).
	got := collect()
	for name, want := range map[string]int64{
		bex.MetricBridgeSpansStarted: 6, bex.MetricBridgeSpansEnded: 6, bex.MetricBridgeSpansDropped: 0,
		bex.MetricBridgeQueueLength: 0, bex.MetricJSONLEventsDropped: 0,
	} {
		if v, ok := int64Value(got[name]); !ok || v != want {
			t.Errorf("%s = %d (present %v), want %d", name, v, ok, want)
		}
	}
	written, _ := int64Value(got[bex.MetricJSONLEventsWritten])
	queued, _ := int64Value(got[bex.MetricJSONLQueueLength])
	if written+queued != 6 {
		t.Errorf("trace file: %d events written and %d queued, want 6 in all", written, queued)
	}
	if m := got[bex.MetricBridgeSpansStarted]; m.Unit != "{span}" {
		t.Errorf("%s unit %q", m.Name, m.Unit)
	}
}

// int64Value returns the one value of an int64 counter or gauge.
func int64Value(m metricdata.Metrics) (int64, bool) {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		if len(d.DataPoints) == 1 && d.IsMonotonic {
			return d.DataPoints[0].Value, true
		}
	case metricdata.Gauge[int64]:
		if len(d.DataPoints) == 1 {
			return d.DataPoints[0].Value, true
		}
	}
	return 0, false
}

// metricsReceiver is an OTLP/HTTP endpoint that keeps the names and the
// token usage of the metrics it receives, and accepts traces.
type metricsReceiver struct {
	mu     sync.Mutex
	names  []string
	tokens float64
}

func (r *metricsReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.URL.Path != "/v1/metrics" {
		return
	}
	var m colmetric.ExportMetricsServiceRequest
	if err := proto.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range m.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			for _, mt := range sm.Metrics {
				r.names = append(r.names, mt.Name)
				if mt.Name == "gen_ai.client.token.usage" {
					for _, p := range mt.GetHistogram().GetDataPoints() {
						r.tokens += p.GetSum()
					}
				}
			}
		}
	}
}

func (r *metricsReceiver) received() ([]string, float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.names), r.tokens
}

// TestSetupMetricsFromEnvironment: with OTEL_METRICS_EXPORTER=otlp and an
// OTLP endpoint in the environment and no provider of the application's,
// Setup builds a MeterProvider whose shutdown exports the metrics (the
// export interval, a minute by default, never came): the GenAI metrics and
// the health instruments. With the endpoint alone, only traces go there.
func TestSetupMetricsFromEnvironment(t *testing.T) {
	clearOTel(t)
	rec := &metricsReceiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	shutdown, err := bex.Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	col := collector.New("env")
	defer col.Close()
	if _, err := triageEngine(t).Call(context.Background(), "Triage", map[string]any{"body": "Checkout is down."}, engine.WithCollector(col)); err != nil {
		t.Fatal(err)
	}
	if names, _ := rec.received(); len(names) != 0 {
		t.Fatalf("metrics exported before shutdown: %v", names)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	names, tokens := rec.received()
	for _, want := range []string{"gen_ai.client.operation.duration", "gen_ai.client.token.usage", bex.MetricBridgeSpansStarted, bex.MetricBridgeSpansDropped} {
		if !slices.Contains(names, want) {
			t.Errorf("shutdown exported %v, without %s", names, want)
		}
	}
	u := col.Usage()
	if want := float64(*u.InputTokens + *u.OutputTokens); tokens != want {
		t.Errorf("exported token usage sums to %v, the Collector's to %v", tokens, want)
	}

	t.Setenv("OTEL_METRICS_EXPORTER", "")
	before, _ := rec.received()
	setupAndCall(t, nil)
	if after, _ := rec.received(); len(after) != len(before) {
		t.Errorf("with OTEL_EXPORTER_OTLP_ENDPOINT alone Setup exported metrics: %v", after[len(before):])
	}
}

// TestSetupGlobalMeterProvider: with a global MeterProvider set by the
// application, bex records into it and exports nothing itself, even with
// an OTLP endpoint in the environment.
func TestSetupGlobalMeterProvider(t *testing.T) {
	clearOTel(t)
	rec := &metricsReceiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	mp, collect := manualMeter(t)
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	defer otel.SetMeterProvider(prev)
	shutdown, err := bex.Setup(context.Background(), bex.WithOTLP(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := triageEngine(t).Call(context.Background(), "Triage", map[string]any{"body": "Checkout is down."}); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(histogram(t, collect()["gen_ai.client.operation.duration"])); n == 0 {
		t.Error("nothing recorded into the application's global MeterProvider")
	}
	if names, _ := rec.received(); len(names) != 0 {
		t.Errorf("Setup exported metrics itself: %v", names)
	}
	if otel.GetMeterProvider() != mp {
		t.Error("Setup changed the global MeterProvider")
	}
}

// TestMetricsStreamedCall: a streamed call (Engine.Stream) records its
// attempt's time to first chunk, the value the Collector records for it.
func TestMetricsStreamedCall(t *testing.T) {
	clearOTel(t)
	mp, collect := manualMeter(t)
	shutdown, err := bex.Setup(context.Background(), bex.WithMeterProvider(mp), bex.WithOTLP(false))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	eng := triageEngine(t)
	col := collector.New("stream")
	defer col.Close()
	for _, err := range eng.Stream(context.Background(), "Headline", map[string]any{"body": "The printer is on fire."}, engine.WithCollector(col)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	calls := col.Last().Calls
	if len(calls) != 1 || calls[0].Stream == nil || calls[0].Stream.Chunks == 0 {
		t.Fatalf("the Collector has %+v, want one streamed attempt", calls)
	}
	h, ok := collect()["gen_ai.client.operation.time_to_first_chunk"].Data.(metricdata.Histogram[float64])
	if !ok || len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 || h.DataPoints[0].Sum != calls[0].Stream.FirstChunk.Seconds() {
		t.Errorf("time to first chunk %+v, want one value, %v", h, calls[0].Stream.FirstChunk.Seconds())
	}
}
