// meterprovider.go builds an SDK MeterProvider for bex from options and OTEL_* variables.

package otelbridge

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// WithMetricReader makes NewMeterProvider read metrics with r instead of
// the reader the environment chooses (a metric.ManualReader in tests, say).
// NewProvider ignores it.
func WithMetricReader(r sdkmetric.Reader) ProviderOption {
	return func(c *providerConfig) { c.reader = r }
}

// NewMeterProvider returns an SDK MeterProvider for the metrics the bridge
// records (WithMeterProvider), whose reader the environment chooses with
// go.opentelemetry.io/contrib/exporters/autoexport:
//
//   - OTEL_METRICS_EXPORTER: otlp (the default), console (printed to
//     standard output), prometheus (a scrape endpoint on
//     OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT,
//     localhost:9464 by default) or none;
//   - for otlp, OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL (http/protobuf by
//     default, or grpc) and every other OTEL_EXPORTER_OTLP[_METRICS]_*
//     variable; OTEL_METRIC_EXPORT_INTERVAL (ms, default 60000) and
//     OTEL_METRIC_EXPORT_TIMEOUT (ms, default 30000) pace the export;
//   - the resource is the one NewProvider gives spans: OTEL_SERVICE_NAME,
//     else WithServiceName, else unknown_service:<executable>, and
//     OTEL_RESOURCE_ATTRIBUTES.
//
// Of the options, WithServiceName, WithResourceAttributes and
// WithMetricReader apply. NewMeterProvider returns nil, and no error, when
// the environment asks for no metrics (OTEL_METRICS_EXPORTER=none) or
// turns the SDK off (OTEL_SDK_DISABLED=true). It changes no process-wide
// state. Shutdown exports what has been recorded since the last export
// (within its ctx's deadline) and stops the reader.
func NewMeterProvider(ctx context.Context, opts ...ProviderOption) (*sdkmetric.MeterProvider, error) {
	c, err := newProviderConfig(opts)
	if err != nil {
		return nil, err
	}
	r := c.reader
	if r == nil {
		if SDKDisabled() {
			return nil, nil
		}
		if r, err = autoexport.NewMetricReader(ctx); err != nil {
			return nil, fmt.Errorf("otelbridge: %w", err)
		}
		if autoexport.IsNoneMetricReader(r) {
			return nil, nil
		}
	}
	res, err := newResource(ctx, c)
	if err != nil {
		_ = r.Shutdown(ctx)
		return nil, err
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithResource(res)), nil
}

// MetricsRequested reports whether the environment asks for metrics
// export: OTEL_METRICS_EXPORTER names an exporter other than none, or
// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set. OTEL_EXPORTER_OTLP_ENDPOINT
// alone does not: it often names a backend that takes traces only (Jaeger,
// Tempo), which would refuse every export. bex.Setup and bex run build a
// MeterProvider only when it does.
func MetricsRequested() bool {
	if exp := strings.TrimSpace(os.Getenv("OTEL_METRICS_EXPORTER")); exp != "" {
		return exp != "none"
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") != ""
}
