// provider.go builds an SDK TracerProvider for bex from options and OTEL_* variables.

package otelbridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Defaults of NewProvider. The queue holds a burst of 64k spans, more than
// the SDK's 2048, because a burst larger than the queue is what loses spans.
const (
	DefaultServiceName     = "bex"
	DefaultQueueSize       = 65536
	DefaultBatchSize       = 2048
	DefaultBatchTimeout    = 5 * time.Second
	DefaultExportTimeout   = 30 * time.Second
	DefaultQueueFullWait   = time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// A Provider is an SDK TracerProvider built by NewProvider, with counts of
// the spans it delivered and dropped (Stats).
type Provider struct {
	*sdktrace.TracerProvider
	pipe            *pipeline // nil when there is no exporter
	shutdownTimeout time.Duration
}

// A ProviderOption configures NewProvider.
type ProviderOption func(*providerConfig)

type providerConfig struct {
	exporter        sdktrace.SpanExporter
	serviceName     string
	attrs           []attribute.KeyValue
	sampler         sdktrace.Sampler
	queueSize       int
	batchSize       int
	batchTimeout    time.Duration
	exportTimeout   time.Duration
	queueFullWait   time.Duration
	shutdownTimeout time.Duration
}

// WithExporter sends spans to exp instead of the OTLP exporter chosen from
// the environment.
func WithExporter(exp sdktrace.SpanExporter) ProviderOption {
	return func(c *providerConfig) { c.exporter = exp }
}

// WithServiceName sets the default service name (DefaultServiceName);
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it.
func WithServiceName(name string) ProviderOption {
	return func(c *providerConfig) { c.serviceName = name }
}

// WithResourceAttributes adds default resource attributes; the environment
// overrides them.
func WithResourceAttributes(attrs ...attribute.KeyValue) ProviderOption {
	return func(c *providerConfig) { c.attrs = append(c.attrs, attrs...) }
}

// WithSampler sets the sampler, overriding OTEL_TRACES_SAMPLER.
func WithSampler(s sdktrace.Sampler) ProviderOption {
	return func(c *providerConfig) { c.sampler = s }
}

// WithQueueSize sets how many ended spans may wait for export
// (DefaultQueueSize; OTEL_BSP_MAX_QUEUE_SIZE).
func WithQueueSize(n int) ProviderOption {
	return func(c *providerConfig) { c.queueSize = n }
}

// WithBatchSize sets the largest export batch (DefaultBatchSize;
// OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
func WithBatchSize(n int) ProviderOption {
	return func(c *providerConfig) { c.batchSize = n }
}

// WithBatchTimeout sets how long a partial batch waits before it is
// exported (DefaultBatchTimeout; OTEL_BSP_SCHEDULE_DELAY).
func WithBatchTimeout(d time.Duration) ProviderOption {
	return func(c *providerConfig) { c.batchTimeout = d }
}

// WithQueueFullWait sets how long ending a span may wait for room when the
// queue is full before the span is dropped and counted (DefaultQueueFullWait).
// 0 drops at once; a negative d waits as long as it takes, which loses
// nothing but stalls the application while the exporter is down.
func WithQueueFullWait(d time.Duration) ProviderOption {
	return func(c *providerConfig) { c.queueFullWait = d }
}

// WithShutdownTimeout bounds Shutdown when its ctx has no deadline
// (DefaultShutdownTimeout).
func WithShutdownTimeout(d time.Duration) ProviderOption {
	return func(c *providerConfig) { c.shutdownTimeout = d }
}

// NewProvider returns a TracerProvider that exports over OTLP, configured by
// the standard environment variables:
//
//   - the exporter reads OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT, _HEADERS,
//     _TIMEOUT, _COMPRESSION, _INSECURE, _CERTIFICATE; an http:// endpoint
//     is sent in plain text, as Jaeger and Tempo expect;
//   - OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL chooses gRPC (default) or
//     http/protobuf; OTEL_TRACES_EXPORTER=none exports nothing;
//   - OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default
//     service name ("bex") and attributes;
//   - OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose the sampler;
//   - OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE and
//     OTEL_BSP_SCHEDULE_DELAY (ms) and OTEL_BSP_EXPORT_TIMEOUT (ms) size the
//     batch processor.
//
// Options given in code override the environment, except the resource
// defaults, which the environment overrides. The provider uses IDGenerator,
// so bridge spans get their deterministic ids. NewProvider also sets the
// global propagator to W3C trace context and baggage, so that outgoing
// requests carry traceparent; it does not set the global TracerProvider.
//
// Ended spans are exported in batches. When the queue is full, ending a span
// waits for room (WithQueueFullWait) and then drops the span; every span
// that does not reach the exporter is counted in Stats. Call Shutdown to
// export what is queued.
func NewProvider(ctx context.Context, opts ...ProviderOption) (*Provider, error) {
	c, err := newProviderConfig(opts)
	if err != nil {
		return nil, err
	}
	res, err := newResource(ctx, c)
	if err != nil {
		return nil, err
	}
	exp := c.exporter
	if exp == nil {
		if exp, err = newExporter(ctx); err != nil {
			return nil, err
		}
	}
	p := &Provider{shutdownTimeout: c.shutdownTimeout}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithIDGenerator(IDGenerator())}
	if exp != nil {
		p.pipe = newPipeline(exp, c)
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p.pipe))
	}
	if c.sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(c.sampler))
	}
	p.TracerProvider = sdktrace.NewTracerProvider(tpOpts...)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return p, nil
}

func newProviderConfig(opts []ProviderOption) (*providerConfig, error) {
	c := &providerConfig{
		serviceName:     DefaultServiceName,
		queueFullWait:   DefaultQueueFullWait,
		shutdownTimeout: DefaultShutdownTimeout,
	}
	var errs []error
	c.queueSize = envInt("OTEL_BSP_MAX_QUEUE_SIZE", DefaultQueueSize, &errs)
	c.batchSize = envInt("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", DefaultBatchSize, &errs)
	c.batchTimeout = time.Duration(envInt("OTEL_BSP_SCHEDULE_DELAY", int(DefaultBatchTimeout/time.Millisecond), &errs)) * time.Millisecond
	c.exportTimeout = time.Duration(envInt("OTEL_BSP_EXPORT_TIMEOUT", int(DefaultExportTimeout/time.Millisecond), &errs)) * time.Millisecond
	for _, o := range opts {
		o(c)
	}
	if c.queueSize <= 0 || c.batchSize <= 0 {
		errs = append(errs, fmt.Errorf("otelbridge: queue size %d and batch size %d must be positive", c.queueSize, c.batchSize))
	}
	c.batchSize = min(c.batchSize, c.queueSize)
	return c, errors.Join(errs...)
}

// envInt reads a positive integer variable, or returns def when it is unset.
func envInt(key string, def int, errs *[]error) int {
	s := strings.TrimSpace(os.Getenv(key))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		*errs = append(*errs, fmt.Errorf("otelbridge: %s=%q: want a positive integer", key, s))
		return def
	}
	return n
}

// newResource builds the resource so that the environment wins over the
// defaults given in code (later detectors win).
func newResource(ctx context.Context, c *providerConfig) (*resource.Resource, error) {
	defaults := append([]attribute.KeyValue{attribute.String("service.name", c.serviceName)}, c.attrs...)
	res, err := resource.New(ctx,
		resource.WithAttributes(defaults...),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK())
	if errors.Is(err, resource.ErrPartialResource) {
		otel.Handle(err) // a malformed OTEL_RESOURCE_ATTRIBUTES entry: keep the rest
		err = nil
	}
	return res, err
}

// newExporter returns the OTLP exporter that the environment asks for, or
// nil for OTEL_TRACES_EXPORTER=none.
func newExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch e := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); e {
	case "", "otlp":
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("otelbridge: OTEL_TRACES_EXPORTER=%q is not supported (otlp, none)", e)
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch strings.TrimSpace(proto) {
	case "", "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	}
	return nil, fmt.Errorf("otelbridge: OTLP protocol %q is not supported (grpc, http/protobuf)", proto)
}

// Stats returns the provider's delivery counts. Dropped is exact: every
// sampled span that ends is exported, failed, rejected or pending.
func (p *Provider) Stats() DeliveryStats {
	if p.pipe == nil {
		return DeliveryStats{}
	}
	return p.pipe.stats()
}

// Shutdown exports the queued spans and stops the provider. When ctx has no
// deadline it is bounded by the shutdown timeout; spans not exported by then
// count as dropped.
func (p *Provider) Shutdown(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok && p.shutdownTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.shutdownTimeout)
		defer cancel()
	}
	err := p.TracerProvider.Shutdown(ctx)
	if p.pipe != nil && !p.pipe.closed.Load() {
		// The SDK skips its span processors when ctx is already done (as
		// after a ForceFlush that used up the deadline): stop ours anyway,
		// so that its goroutine ends and the spans still queued, which will
		// never be exported, count as dropped.
		err = errors.Join(err, p.pipe.Shutdown(ctx))
	}
	return err
}
