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

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Defaults of NewProvider. The queue holds a burst of 64k spans, more than
// the SDK's 2048, because a burst larger than the queue is what loses spans.
const (
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
	reader          sdkmetric.Reader // NewMeterProvider's
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

// WithExporter sends spans to exp instead of the exporter chosen from the
// environment.
func WithExporter(exp sdktrace.SpanExporter) ProviderOption {
	return func(c *providerConfig) { c.exporter = exp }
}

// WithServiceName sets the service name when the environment gives none
// (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override it); without
// either, it is unknown_service:<executable>.
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

// NewProvider returns an SDK TracerProvider whose exporter the environment
// chooses, with go.opentelemetry.io/contrib/exporters/autoexport:
//
//   - OTEL_TRACES_EXPORTER: otlp (the default), console (spans printed to
//     standard output) or none;
//   - for otlp, OTEL_EXPORTER_OTLP[_TRACES]_PROTOCOL: http/protobuf (the
//     default, port 4318) or grpc (port 4317), and every other
//     OTEL_EXPORTER_OTLP[_TRACES]_* variable (ENDPOINT, HEADERS, TIMEOUT,
//     COMPRESSION, INSECURE, CERTIFICATE, ...);
//   - OTEL_SDK_DISABLED=true: no exporter at all (spans are still made,
//     and dropped);
//   - OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG choose the sampler,
//     as the SDK reads them;
//   - OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
//     OTEL_BSP_SCHEDULE_DELAY (ms) and OTEL_BSP_EXPORT_TIMEOUT (ms) size the
//     batch processor;
//   - the resource comes from the SDK's detectors: service.name is
//     OTEL_SERVICE_NAME, else the name given with WithServiceName, else
//     unknown_service:<executable>, as the specification says;
//     OTEL_RESOURCE_ATTRIBUTES adds attributes.
//
// Options given in code override the environment, except for the
// resource, where the environment wins. The provider uses IDGenerator, so
// bridge spans get their deterministic ids. NewProvider changes no
// process-wide state: it sets neither the global TracerProvider nor the
// global propagator (the application does, or bex.Setup when asked to).
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
	if exp == nil && !SDKDisabled() {
		if exp, err = autoexport.NewSpanExporter(ctx); err != nil {
			return nil, fmt.Errorf("otelbridge: %w", err)
		}
		if autoexport.IsNoneSpanExporter(exp) {
			exp = nil
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
	return p, nil
}

// SDKDisabled reports whether OTEL_SDK_DISABLED is "true": the
// specification's switch that turns the OpenTelemetry SDK off.
func SDKDisabled() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true")
}

func newProviderConfig(opts []ProviderOption) (*providerConfig, error) {
	c := &providerConfig{
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

// newResource builds the resource from the SDK's detectors (service.name
// unknown_service:<executable>, the telemetry SDK, OTEL_RESOURCE_ATTRIBUTES
// and OTEL_SERVICE_NAME) with the defaults given in code between them, so
// that the environment wins over the code and the code over the detectors.
func newResource(ctx context.Context, c *providerConfig) (*resource.Resource, error) {
	var defaults []attribute.KeyValue
	if c.serviceName != "" {
		defaults = append(defaults, semconv.ServiceName(c.serviceName))
	}
	defaults = append(defaults, c.attrs...)
	env, err := resource.New(ctx, resource.WithFromEnv())
	if errors.Is(err, resource.ErrPartialResource) {
		otel.Handle(err) // a malformed OTEL_RESOURCE_ATTRIBUTES entry: keep the rest
		err = nil
	}
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(defaults...))
	if err != nil {
		return nil, err
	}
	return resource.Merge(res, env)
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
