// metrics.go records the GenAI client metrics of every LLM attempt.

package otelbridge

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/semconv/v1.41.0/genaiconv"

	"github.com/bexrun/bex/vmspan"
)

// MeterName is the instrumentation scope name of the metrics the bridge
// records.
const MeterName = TracerName

// Explicit bucket boundaries the GenAI semantic conventions advise for the
// client metrics, given to the instruments as advice (an SDK view can
// override them).
var (
	// TokenUsageBuckets are those of gen_ai.client.token.usage, in tokens.
	TokenUsageBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	// DurationBuckets are those of gen_ai.client.operation.duration and
	// gen_ai.client.operation.time_to_first_chunk, in seconds.
	DurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// genAIMetrics are the instruments of the GenAI client metrics, from the
// semantic conventions' own helpers (semconv/v1.41.0/genaiconv).
type genAIMetrics struct {
	duration   genaiconv.ClientOperationDuration
	tokens     genaiconv.ClientTokenUsage
	firstChunk genaiconv.ClientOperationTimeToFirstChunk
}

// newGenAIMetrics creates the instruments with mp's meter for the bridge:
// bex's version and the conventions' schema URL, as its tracer.
func newGenAIMetrics(mp metric.MeterProvider) *genAIMetrics {
	m := mp.Meter(MeterName, metric.WithInstrumentationVersion(Version()), metric.WithSchemaURL(semconv.SchemaURL))
	var g genAIMetrics
	var err1, err2, err3 error
	g.duration, err1 = genaiconv.NewClientOperationDuration(m, metric.WithExplicitBucketBoundaries(DurationBuckets...))
	g.tokens, err2 = genaiconv.NewClientTokenUsage(m, metric.WithExplicitBucketBoundaries(TokenUsageBuckets...))
	g.firstChunk, err3 = genaiconv.NewClientOperationTimeToFirstChunk(m, metric.WithExplicitBucketBoundaries(DurationBuckets...))
	if err := errors.Join(err1, err2, err3); err != nil {
		// The helpers return a working no-op instrument with the error;
		// report it as the SDK reports its own problems.
		otel.Handle(err)
	}
	return &g
}

// record records the metrics of one ended attempt: its duration (with
// error.type when it failed), its input and output tokens when the
// provider reported them, and its time to first chunk when it was
// streamed. ctx is the attempt's, so that an SDK that keeps exemplars links
// them to the attempt's span.
func (g *genAIMetrics) record(ctx context.Context, a *vmspan.LLMAttempt) {
	op := genaiconv.OperationNameChat
	provider := genaiconv.ProviderNameAttr(vmspan.GenAIProviderName(a.Provider))
	var buf [5]attribute.KeyValue
	attrs := appendNonEmpty(buf[:0], semconv.GenAIRequestModelKey, a.Model)
	attrs = appendNonEmpty(attrs, semconv.GenAIResponseModelKey, a.ResponseModel)
	attrs = appendNonEmpty(attrs, semconv.ServerAddressKey, a.ServerAddress)
	if a.ServerPort > 0 {
		attrs = append(attrs, semconv.ServerPortKey.Int(a.ServerPort))
	}
	if d, ok := firstChunk(a); ok {
		g.firstChunk.Record(ctx, d.Seconds(), op, provider, attrs...)
	}
	if n := a.Usage.InputTokens; n != nil {
		g.tokens.Record(ctx, *n, op, provider, genaiconv.TokenTypeInput, attrs...)
	}
	if n := a.Usage.OutputTokens; n != nil {
		g.tokens.Record(ctx, *n, op, provider, genaiconv.TokenTypeOutput, attrs...)
	}
	if a.Err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(a.Err)))
	}
	g.duration.Record(ctx, a.Duration.Seconds(), op, provider, attrs...)
}

// firstChunk returns the time from a streamed attempt's request to its
// first chunk of output, which gen_ai.client.operation.time_to_first_chunk
// records, and whether a chunk came at all (as the span's
// gen_ai.response.time_to_first_chunk says).
func firstChunk(a *vmspan.LLMAttempt) (time.Duration, bool) {
	if st := a.Stream; st != nil && st.Chunks > 0 {
		return st.FirstChunk, true
	}
	return 0, false
}

// errorType is the error.type of a failed attempt: the HTTP status code,
// the provider's error code or "timeout" that the LLM layer recorded, else
// the conventions' _OTHER.
func errorType(e *vmspan.ErrorInfo) string {
	if e.Code != "" {
		return e.Code
	}
	return semconv.ErrorTypeOther.Value.AsString()
}
