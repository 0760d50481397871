package otelbridge

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/bexrun/bex/vmspan"
)

// newMeter returns a MeterProvider whose metrics collect reads.
func newMeter(t *testing.T) (*sdkmetric.MeterProvider, func() metricdata.ResourceMetrics) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, func() metricdata.ResourceMetrics {
		var rm metricdata.ResourceMetrics
		if err := r.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		return rm
	}
}

// scopeMetrics returns the metrics of the bridge's scope, checking the
// scope's version and schema URL.
func scopeMetrics(t *testing.T, rm metricdata.ResourceMetrics) map[string]metricdata.Metrics {
	t.Helper()
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != MeterName {
			continue
		}
		if sm.Scope.Version != Version() || sm.Scope.SchemaURL != semconv.SchemaURL {
			t.Errorf("scope %+v, want version %s and schema URL %s", sm.Scope, Version(), semconv.SchemaURL)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// point is the histogram data point of one measurement.
func point[N int64 | float64](v N, bounds []float64, attrs ...attribute.KeyValue) metricdata.HistogramDataPoint[N] {
	counts := make([]uint64, len(bounds)+1)
	i := 0
	for i < len(bounds) && float64(v) > bounds[i] {
		i++
	}
	counts[i] = 1
	return metricdata.HistogramDataPoint[N]{
		Attributes: attribute.NewSet(attrs...), Count: 1, Sum: v, Bounds: bounds, BucketCounts: counts,
		Min: metricdata.NewExtrema(v), Max: metricdata.NewExtrema(v),
	}
}

// TestGenAIMetrics: each live attempt records gen_ai.client.operation.duration
// (seconds, error.type on the failed one) and gen_ai.client.token.usage
// (the input and output tokens the provider reported, by
// gen_ai.token.type), with the conventions' units, buckets and attributes,
// once.
func TestGenAIMetrics(t *testing.T) {
	mp, collect := newMeter(t)
	f := newFixture(t, false, WithMeterProvider(mp))
	runLiveLLM(f, nil)

	openai := []attribute.KeyValue{
		semconv.GenAIOperationNameChat, semconv.GenAIProviderNameOpenAI, semconv.GenAIRequestModel("gpt-4o"),
		semconv.ServerAddress("api.openai.com"), semconv.ServerPort(443),
	}
	anthropic := []attribute.KeyValue{
		semconv.GenAIOperationNameChat, semconv.GenAIProviderNameAnthropic, semconv.GenAIRequestModel("claude-sonnet"),
		semconv.GenAIResponseModel("claude-sonnet-4-5"), semconv.ServerAddress("api.anthropic.com"), semconv.ServerPort(443),
	}
	with := func(base []attribute.KeyValue, kv ...attribute.KeyValue) []attribute.KeyValue {
		return append(append([]attribute.KeyValue(nil), base...), kv...)
	}
	want := []metricdata.Metrics{{
		Name:        "gen_ai.client.operation.duration",
		Description: "GenAI operation duration.",
		Unit:        "s",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
			point(0.005, DurationBuckets, with(openai, semconv.ErrorTypeKey.String("429"))...),
			point(0.03, DurationBuckets, anthropic...),
		}},
	}, {
		Name:        "gen_ai.client.token.usage",
		Description: "Number of input and output tokens used.",
		Unit:        "{token}",
		Data: metricdata.Histogram[int64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[int64]{
			point[int64](12, TokenUsageBuckets, with(openai, semconv.GenAITokenTypeInput)...),
			point[int64](20, TokenUsageBuckets, with(anthropic, semconv.GenAITokenTypeInput)...),
			point[int64](7, TokenUsageBuckets, with(anthropic, semconv.GenAITokenTypeOutput)...),
		}},
	}}
	got := scopeMetrics(t, collect())
	for _, w := range want {
		g, ok := got[w.Name]
		if !ok {
			t.Errorf("no %s", w.Name)
			continue
		}
		metricdatatest.AssertEqual(t, w, g, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v, want only duration and token usage (no streamed attempt: no time to first chunk)", keys(got))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGenAIMetricsLiveOnly: metrics describe attempts as they happen, once:
// attempts recorded only in an end event (not started live) and a replay of
// the trace (Export) record none.
func TestGenAIMetricsLiveOnly(t *testing.T) {
	mp, collect := newMeter(t)
	f := newFixture(t, false, WithMeterProvider(mp))
	runLLM(f)
	if got := scopeMetrics(t, collect()); len(got) != 0 {
		t.Errorf("attempts not started live recorded %v", keys(got))
	}
	tp, _ := newRecorder(t, false)
	if _, err := Export(context.Background(), seq(f.rec.Events()), WithTracerProvider(tp), WithMeterProvider(mp)); err != nil {
		t.Fatal(err)
	}
	if got := scopeMetrics(t, collect()); len(got) != 0 {
		t.Errorf("a replay recorded %v", keys(got))
	}
}

// TestTimeToFirstChunk: a streamed attempt that received chunks records
// gen_ai.client.operation.time_to_first_chunk (seconds, the conventions'
// buckets, the duration's attributes); one that failed before its first
// chunk, and an attempt that did not stream, record none.
func TestTimeToFirstChunk(t *testing.T) {
	mp, collect := newMeter(t)
	f := newFixture(t, false, WithMeterProvider(mp))
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	frames := vmspan.NewFrameTracker(context.Background(), root)
	frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Extract", Kind: vmspan.KindLLM})
	ctx := frames.Context()
	streamed := attemptsFor()[1]
	streamed.Stream = &vmspan.StreamInfo{FirstChunk: 120 * time.Millisecond, Chunks: 4}
	cut := attemptsFor()[0] // failed before its first chunk
	cut.Stream = &vmspan.StreamInfo{}
	plain := attemptsFor()[1]
	for _, a := range []vmspan.LLMAttempt{cut, streamed, plain} {
		_, att := vmspan.StartAttempt(ctx, &a)
		att.End(&a)
	}
	frames.ExitFrame(2, "x", nil)
	frames.End(nil, nil)

	want := metricdata.Metrics{
		Name:        "gen_ai.client.operation.time_to_first_chunk",
		Description: "Time to receive the first chunk, measured from when the client issues the generation request to when the first chunk is received in the response stream.",
		Unit:        "s",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
			point(0.12, DurationBuckets, semconv.GenAIOperationNameChat, semconv.GenAIProviderNameAnthropic, semconv.GenAIRequestModel("claude-sonnet"),
				semconv.GenAIResponseModel("claude-sonnet-4-5"), semconv.ServerAddress("api.anthropic.com"), semconv.ServerPort(443)),
		}},
	}
	got := scopeMetrics(t, collect())
	metricdatatest.AssertEqual(t, want, got[want.Name], metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	if h, ok := got["gen_ai.client.operation.duration"].Data.(metricdata.Histogram[float64]); !ok || len(h.DataPoints) != 2 {
		t.Errorf("durations: %+v, want the three attempts in two series", got["gen_ai.client.operation.duration"].Data)
	}
}

// TestStatsEnded: Stats counts the spans the bridge ended, bex spans and
// attempts, as it counts those it started.
func TestStatsEnded(t *testing.T) {
	f := newFixture(t, false)
	runLiveLLM(f, nil)
	st := f.bridge.Stats()
	if started := st.Spans + st.Attempts; started != 5 || st.Ended != started || st.Open != 0 {
		t.Errorf("stats %+v: want 5 spans started and ended (Handle, main, Extract, 2 attempts)", st)
	}
}
