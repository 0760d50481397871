// setup.go wires the default tracer from the environment.

package bex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/vmspan"
)

// An Option configures Setup.
type Option func(*config)

type config struct {
	traceFile   *string
	otlp        *bool
	provider    trace.TracerProvider
	sinks       []vmspan.Sink
	bridgeOpts  []otelbridge.Option
	provOpts    []otelbridge.ProviderOption
	shutdownMax time.Duration
}

// WithTraceFile appends JSONL trace events to path ("" disables the file),
// overriding BEX_TRACE_FILE.
func WithTraceFile(path string) Option { return func(c *config) { c.traceFile = &path } }

// WithOTLP turns OTLP export on or off, overriding the default, which is on
// when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
// set.
func WithOTLP(on bool) Option { return func(c *config) { c.otlp = &on } }

// WithTracerProvider makes the bridge use the application's own
// TracerProvider instead of building one; Setup then neither exports nor
// shuts that provider down (the application does).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithSink adds sinks that receive every event (a Collector-like store, a
// custom exporter).
func WithSink(s ...vmspan.Sink) Option { return func(c *config) { c.sinks = append(c.sinks, s...) } }

// WithBridgeOptions passes options to the OpenTelemetry bridge (content
// capture, attribute size limit).
func WithBridgeOptions(o ...otelbridge.Option) Option {
	return func(c *config) { c.bridgeOpts = append(c.bridgeOpts, o...) }
}

// WithProviderOptions passes options to the TracerProvider that Setup builds
// for OTLP export.
func WithProviderOptions(o ...otelbridge.ProviderOption) Option {
	return func(c *config) { c.provOpts = append(c.provOpts, o...) }
}

// WithShutdownTimeout bounds the shutdown func when its ctx has no deadline
// (default 5 seconds).
func WithShutdownTimeout(d time.Duration) Option { return func(c *config) { c.shutdownMax = d } }

// Setup makes the default tracer (vmspan.SetDefault) send span events to:
//
//   - a JSONL trace file when BEX_TRACE_FILE (or WithTraceFile) names one;
//     events are appended, so several runs can share a file;
//   - OpenTelemetry, through otelbridge, when OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (or WithOTLP(true)): Setup
//     builds a TracerProvider with otelbridge.NewProvider, configured by the
//     standard OTEL_* variables; with WithTracerProvider the application's
//     provider is used instead.
//
// Engines created without their own tracer use the default tracer at each
// call. Setup returns one shutdown func that flushes the file, exports what
// is queued, closes everything (within ctx's deadline, or the shutdown
// timeout) and restores a default tracer with no sink. Call it before the
// process exits.
func Setup(ctx context.Context, opts ...Option) (shutdown func(context.Context) error, err error) {
	c := &config{shutdownMax: 5 * time.Second}
	for _, o := range opts {
		o(c)
	}
	var closers []func(context.Context) error
	fail := func(err error) (func(context.Context) error, error) {
		for _, cl := range closers {
			_ = cl(ctx)
		}
		return nil, err
	}
	sinks := append([]vmspan.Sink(nil), c.sinks...)
	if path := c.traceFilePath(); path != "" {
		w, err := jsonl.Open(path)
		if err != nil {
			return fail(fmt.Errorf("bex.Setup: trace file: %w", err))
		}
		sinks = append(sinks, w)
		closers = append(closers, func(ctx context.Context) error {
			return errors.Join(w.Flush(ctx), w.Close())
		})
	}
	if tp := c.provider; tp != nil || c.otlpOn() {
		var b *otelbridge.Bridge
		if tp == nil {
			p, err := otelbridge.NewProvider(ctx, c.provOpts...)
			if err != nil {
				return fail(fmt.Errorf("bex.Setup: OpenTelemetry: %w", err))
			}
			b = otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(p)}, c.bridgeOpts...)...)
			closers = append(closers, p.Shutdown) // exports what is queued
		} else {
			b = otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(tp)}, c.bridgeOpts...)...)
			closers = append(closers, b.Flush) // the application shuts its provider down
		}
		sinks = append(sinks, b)
	}
	vmspan.SetDefault(vmspan.NewTracer(vmspan.Fanout(sinks...)))
	return func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok && c.shutdownMax > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.shutdownMax)
			defer cancel()
		}
		vmspan.SetDefault(nil)
		var errs []error
		for _, cl := range closers {
			errs = append(errs, cl(ctx))
		}
		return errors.Join(errs...)
	}, nil
}

func (c *config) traceFilePath() string {
	if c.traceFile != nil {
		return *c.traceFile
	}
	return strings.TrimSpace(os.Getenv("BEX_TRACE_FILE"))
}

func (c *config) otlpOn() bool {
	if c.otlp != nil {
		return *c.otlp
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}
