// setup.go wires the default tracer from the environment.

package bex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

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
	meter       metric.MeterProvider
	sinks       []vmspan.Sink
	bridgeOpts  []otelbridge.Option
	provOpts    []otelbridge.ProviderOption
	shutdownMax time.Duration
	setGlobal   bool
}

// WithTraceFile appends JSONL trace events to path ("" disables the file),
// overriding BEX_TRACE_FILE.
func WithTraceFile(path string) Option { return func(c *config) { c.traceFile = &path } }

// WithOTLP turns the OpenTelemetry export that Setup builds on or off,
// overriding the environment (see Setup). WithOTLP(false) also keeps bex
// out of an application's global TracerProvider; a provider given with
// WithTracerProvider is used either way.
func WithOTLP(on bool) Option { return func(c *config) { c.otlp = &on } }

// WithTracerProvider makes the bridge use tp, the application's own
// TracerProvider, instead of the global one or one Setup would build;
// Setup then neither exports nor shuts tp down (the application does).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithMeterProvider makes bex record its metrics — the GenAI client
// metrics of every LLM attempt and its health instruments (see
// ObserveHealth) — with mp, the application's own MeterProvider, instead of
// the global one or one Setup would build; Setup neither exports nor shuts
// mp down (the application does).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meter = mp }
}

// WithSink adds sinks that receive every event (a Collector-like store, a
// custom exporter).
func WithSink(s ...vmspan.Sink) Option { return func(c *config) { c.sinks = append(c.sinks, s...) } }

// WithBridgeOptions passes options to the OpenTelemetry bridge (content
// capture, attribute size limit).
func WithBridgeOptions(o ...otelbridge.Option) Option {
	return func(c *config) { c.bridgeOpts = append(c.bridgeOpts, o...) }
}

// WithContentCapture turns content capture on the OpenTelemetry spans on
// or off (see otelbridge.WithContentCapture); without it, the environment
// variable OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true turns
// it on. The trace file keeps arguments and results either way.
func WithContentCapture(on bool) Option {
	return WithBridgeOptions(otelbridge.WithContentCapture(on))
}

// WithProviderOptions passes options to the TracerProvider that Setup builds
// when the application has none.
func WithProviderOptions(o ...otelbridge.ProviderOption) Option {
	return func(c *config) { c.provOpts = append(c.provOpts, o...) }
}

// WithSetGlobal makes the TracerProvider and MeterProvider that Setup
// builds (when it builds them) the global ones, and sets the global
// propagator to W3C trace context and baggage, until shutdown restores the
// previous ones. Without it Setup
// changes no process-wide OpenTelemetry state: a program that owns its
// process (the bex CLI) may ask for it, a library should not.
func WithSetGlobal(on bool) Option { return func(c *config) { c.setGlobal = on } }

// WithShutdownTimeout bounds the shutdown func when its ctx has no deadline
// (default 5 seconds).
func WithShutdownTimeout(d time.Duration) Option { return func(c *config) { c.shutdownMax = d } }

// Setup makes the default tracer (vmspan.SetDefault) send span events to:
//
//   - a JSONL trace file when BEX_TRACE_FILE (or WithTraceFile) names one;
//     events are appended, so several runs can share a file;
//   - OpenTelemetry, through otelbridge, into the first of: the provider
//     given with WithTracerProvider; the application's global
//     TracerProvider, when it has set one (otel.SetTracerProvider); a
//     provider that Setup builds with otelbridge.NewProvider (its exporter
//     chosen by go.opentelemetry.io/contrib/exporters/autoexport from the
//     standard OTEL_* variables, http/protobuf by default) when the
//     environment configures an exporter (OTEL_TRACES_EXPORTER, or
//     OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
//     set) or WithOTLP(true) asks for one. OTEL_SDK_DISABLED=true keeps
//     Setup from building a provider; WithOTLP(false) keeps bex out of
//     OpenTelemetry unless WithTracerProvider gives a provider.
//
// bex's metrics — the GenAI client metrics of every LLM attempt (see
// otelbridge, # Metrics) and its health instruments (ObserveHealth, for
// the bridge and trace file Setup makes) — go likewise to the first of:
// the provider given with WithMeterProvider; the application's global
// MeterProvider when it has set one, or when the application runs
// OpenTelemetry itself (WithTracerProvider or a global TracerProvider),
// in which case they record into the global provider as soon as it is
// set; a provider Setup builds with otelbridge.NewMeterProvider when the
// environment asks for metrics export by naming an exporter
// (OTEL_METRICS_EXPORTER=otlp, console or prometheus) or a metrics endpoint
// (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT), unless OTEL_SDK_DISABLED=true.
// OTEL_EXPORTER_OTLP_ENDPOINT alone turns on traces only, because it often
// names a backend that takes nothing else (Jaeger, Tempo); the OTLP
// variables then apply to metrics too. Metrics need no trace export: with
// traces off the bridge still records them.
//
// Setup bridges into the application's provider as it is: it builds no
// exporter then, and it never sets the global provider or propagator
// unless WithSetGlobal asks. LLM requests carry the trace context through
// the global propagator, which the application sets (a no-op until then).
// Content (arguments, results, prompts, completions) goes on OpenTelemetry
// spans only with content capture on (WithContentCapture, or
// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true).
//
// Engines created without their own tracer use the default tracer at each
// call. Setup returns one shutdown func that flushes the file, exports what
// is queued and the metrics' final values (shutting down the providers it
// built, flushing the application's), unregisters the health instruments,
// closes everything (within ctx's deadline, or the shutdown timeout) and
// restores a default tracer with no sink. Call it before the process
// exits.
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
	var w *jsonl.Writer
	if path := c.traceFilePath(); path != "" {
		if w, err = jsonl.Open(path); err != nil {
			return fail(fmt.Errorf("bex.Setup: trace file: %w", err))
		}
		sinks = append(sinks, w)
		closers = append(closers, func(ctx context.Context) error {
			return errors.Join(w.Flush(ctx), w.Close())
		})
	}
	mp, mpCloser, err := c.meterProvider(ctx)
	if err != nil {
		return fail(fmt.Errorf("bex.Setup: OpenTelemetry metrics: %w", err))
	}
	if mp != nil {
		c.bridgeOpts = append(c.bridgeOpts, otelbridge.WithMeterProvider(mp))
	}
	b, closer, err := c.bridge(ctx)
	if err != nil {
		if mpCloser != nil {
			_ = mpCloser(ctx)
		}
		return fail(fmt.Errorf("bex.Setup: OpenTelemetry: %w", err))
	}
	if b == nil && mp != nil {
		// Metrics without traces: a bridge whose spans go nowhere.
		b, closer = otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(tracenoop.NewTracerProvider())}, c.bridgeOpts...)...), nil
	}
	if b != nil {
		sinks = append(sinks, b)
		if closer != nil {
			closers = append(closers, closer)
		}
	}
	if mp != nil {
		// After the provider's shutdown (the final counts of spans), the
		// meter provider's: its last export has the final values.
		reg, err := ObserveHealth(mp, b, w)
		if err != nil {
			otel.Handle(fmt.Errorf("bex.Setup: health instruments: %w", err))
			reg = noRegistration{}
		}
		closers = append(closers, func(ctx context.Context) error {
			// Export the final values, health included, before the
			// health instruments go: shut down the provider Setup built,
			// flush the application's (as the bridge flushes its
			// TracerProvider).
			var err error
			if mpCloser != nil {
				err = mpCloser(ctx)
			} else if f, ok := mp.(interface{ ForceFlush(context.Context) error }); ok {
				err = f.ForceFlush(ctx)
			}
			return errors.Join(err, reg.Unregister())
		})
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

// meterProvider returns the MeterProvider bex records its metrics with,
// and the func that shuts it down when Setup built it:
//
//   - the provider given with WithMeterProvider;
//   - none with WithOTLP(false);
//   - the application's global MeterProvider when it has set one, or when
//     the application runs OpenTelemetry itself (WithTracerProvider, or a
//     global TracerProvider): bex then records into the global provider,
//     which records nothing until the application sets one;
//   - else one Setup builds with otelbridge.NewMeterProvider when the
//     environment asks for metrics export (OTEL_METRICS_EXPORTER other than
//     none, or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT), unless
//     OTEL_SDK_DISABLED=true;
//   - else none (nil).
func (c *config) meterProvider(ctx context.Context) (metric.MeterProvider, func(context.Context) error, error) {
	switch {
	case c.meter != nil:
		return c.meter, nil, nil
	case c.otlp != nil && !*c.otlp:
		return nil, nil, nil
	case globalSet(otel.GetMeterProvider()), c.provider != nil, globalSet(otel.GetTracerProvider()):
		return otel.GetMeterProvider(), nil, nil
	case !c.metricsExportOn():
		return nil, nil, nil
	}
	mp, err := otelbridge.NewMeterProvider(ctx, c.provOpts...)
	if err != nil || mp == nil {
		return nil, nil, err
	}
	if !c.setGlobal {
		return mp, mp.Shutdown, nil
	}
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	return mp, func(ctx context.Context) error {
		otel.SetMeterProvider(prev)
		return mp.Shutdown(ctx)
	}, nil
}

// metricsExportOn reports whether Setup should build a MeterProvider: when
// OTLP is not turned off and the environment asks for metrics
// (otelbridge.MetricsRequested).
func (c *config) metricsExportOn() bool {
	if c.otlp != nil && !*c.otlp {
		return false
	}
	return otelbridge.MetricsRequested()
}

// bridge returns the OpenTelemetry bridge Setup installs, with the func
// that flushes or shuts down what it exports to, or nil when OpenTelemetry
// is off.
func (c *config) bridge(ctx context.Context) (*otelbridge.Bridge, func(context.Context) error, error) {
	if tp := c.provider; tp != nil {
		b := otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(tp)}, c.bridgeOpts...)...)
		return b, b.Flush, nil // the application shuts its provider down
	}
	if c.otlp != nil && !*c.otlp {
		return nil, nil, nil
	}
	if globalSet(otel.GetTracerProvider()) {
		b := otelbridge.New(c.bridgeOpts...) // the global provider, at each span
		return b, b.Flush, nil
	}
	if !c.exportOn() || otelbridge.SDKDisabled() {
		return nil, nil, nil
	}
	p, err := otelbridge.NewProvider(ctx, c.provOpts...)
	if err != nil {
		return nil, nil, err
	}
	b := otelbridge.New(append([]otelbridge.Option{otelbridge.WithTracerProvider(p)}, c.bridgeOpts...)...)
	if !c.setGlobal {
		return b, p.Shutdown, nil // exports what is queued
	}
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(p)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return b, func(ctx context.Context) error {
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		return p.Shutdown(ctx)
	}, nil
}

// globalSet reports whether the application has set the global provider
// p was read from (otel.GetTracerProvider, otel.GetMeterProvider): until
// it does, the otel package returns a delegate of its own, which records
// nothing.
func globalSet(p any) bool {
	t := reflect.TypeOf(p)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() != "go.opentelemetry.io/otel/internal/global"
}

func (c *config) traceFilePath() string {
	if c.traceFile != nil {
		return *c.traceFile
	}
	return strings.TrimSpace(os.Getenv("BEX_TRACE_FILE"))
}

// exportOn reports whether Setup should build a provider: WithOTLP(true),
// or an exporter configured by the environment.
func (c *config) exportOn() bool {
	if c.otlp != nil {
		return *c.otlp
	}
	exp := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))
	if exp == "none" {
		return false
	}
	return exp != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}
