// export.go sets up and shuts down the exporters of bex run (through bex.Setup).

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/bexrun/bex"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/vmspan"
)

// ServiceName is the service name of the spans bex run and bex trace export
// send when OTEL_SERVICE_NAME gives none.
const ServiceName = "bex"

// exporters are the trace and metric exporters of one bex run.
type exporters struct {
	setupShutdown func(context.Context) error
	otlp          *otlpProvider            // nil without OTLP
	meter         *sdkmetric.MeterProvider // nil without metrics
	prevProp      propagation.TextMapPropagator
	errs          *otelErrors
	timeout       time.Duration
}

// otlpProvider is the OTLP provider handed to bex.Setup and
// otelbridge.Export. Both flush the bridge's provider when they finish; bex
// shuts the provider down right after, which exports what is queued within
// the shutdown timeout, so the flush is skipped: it would wait for an
// unreachable endpoint once more (Export's flush has no deadline at all),
// and Setup would join its error with those of the trace file, which fail
// the run while OTLP delivery failures do not.
type otlpProvider struct{ *otelbridge.Provider }

// ForceFlush does nothing; see otlpProvider.
func (p otlpProvider) ForceFlush(context.Context) error { return nil }

// otlpOn reports whether bex run exports over OTLP: --otlp when given,
// else when an OTLP endpoint variable is set.
func (c *RunConfig) otlpOn() bool {
	if c.otlpSet {
		return c.OTLP
	}
	return otlpEndpoint() != ""
}

// meterProvider is the MeterProvider handed to bex.Setup. As with
// otlpProvider, Setup's flush is skipped: bex run exports the metrics when
// it shuts the provider down, after the spans, so that a slow metrics
// endpoint cannot use up the time the spans need. Health instruments, which
// Setup unregisters first, are for services; bex run reports undelivered
// spans on stderr.
type meterProvider struct{ *sdkmetric.MeterProvider }

// ForceFlush does nothing; see meterProvider.
func (meterProvider) ForceFlush(context.Context) error { return nil }

// otlpEndpoint returns the endpoint the OTLP exporter reads from the
// environment, or "".
func otlpEndpoint() string {
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

// startExport sets up the default tracer with bex.Setup: the trace file and,
// when on, an OTLP provider built by otelbridge.NewProvider.
func (c *RunConfig) startExport(ctx context.Context, a *App) (*exporters, error) {
	x := &exporters{timeout: c.ShutdownTimeout}
	opts := []bex.Option{bex.WithShutdownTimeout(c.ShutdownTimeout), bex.WithOTLP(false)}
	if c.JSONL != "" {
		opts = append(opts, bex.WithTraceFile(c.JSONL))
	}
	if c.otlpOn() {
		x.errs = captureOTelErrors()
		p, err := otelbridge.NewProvider(ctx, otelbridge.WithShutdownTimeout(c.ShutdownTimeout), otelbridge.WithServiceName(ServiceName))
		if err != nil {
			x.errs.restore()
			return nil, err
		}
		x.otlp = &otlpProvider{p}
		opts = append(opts, bex.WithTracerProvider(x.otlp))
		if c.captureSet {
			opts = append(opts, bex.WithContentCapture(c.CaptureContent))
		}
		// bex run owns its process: its LLM requests carry the W3C trace
		// context of their attempts' spans through the global propagator.
		x.prevProp = otel.GetTextMapPropagator()
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	}
	if otelbridge.MetricsRequested() { // as bex.Setup decides: an OTLP endpoint alone sends traces only
		mp, err := otelbridge.NewMeterProvider(ctx, otelbridge.WithServiceName(ServiceName))
		if err != nil {
			x.shutdownOTLP(ctx, io.Discard)
			return nil, err
		}
		if mp != nil {
			x.meter = mp
			opts = append(opts, bex.WithMeterProvider(meterProvider{mp}))
		}
	}
	shutdown, err := bex.Setup(ctx, opts...)
	if err != nil {
		x.shutdownOTLP(ctx, io.Discard)
		x.shutdownMetrics(ctx, io.Discard)
		return nil, err
	}
	x.setupShutdown = shutdown
	if topts := a.tracerOptions(); len(topts) > 0 {
		vmspan.SetDefault(vmspan.NewTracer(vmspan.Default().Sink(), topts...))
	}
	return x, nil
}

// shutdown flushes the trace file and shuts OTLP export down, all within the
// shutdown timeout, even when ctx is already cancelled. It reports spans
// OTLP did not deliver on w and returns only trace file errors.
func (x *exporters) shutdown(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.timeout)
	defer cancel()
	err := x.setupShutdown(ctx)
	x.shutdownOTLP(ctx, w)
	x.shutdownMetrics(ctx, w)
	if err != nil {
		return fmt.Errorf("trace file: %w", err)
	}
	return nil
}

// shutdownOTLP shuts the OTLP provider down and reports undelivered spans.
func (x *exporters) shutdownOTLP(ctx context.Context, w io.Writer) {
	if x.otlp == nil {
		return
	}
	otel.SetTextMapPropagator(x.prevProp)
	err := x.otlp.Shutdown(ctx)
	x.errs.restore()
	if msg := deliveryProblem(x.otlp.Stats(), err, x.errs, x.timeout); msg != "" {
		fmt.Fprintf(w, "bex run: OTLP export to %s: %s\n", endpointName(), msg)
	}
}

// shutdownMetrics exports the metrics recorded and reports a failure, which
// does not fail the run (as undelivered spans do not).
func (x *exporters) shutdownMetrics(ctx context.Context, w io.Writer) {
	if x.meter == nil {
		return
	}
	if err := x.meter.Shutdown(ctx); err != nil {
		fmt.Fprintf(w, "bex run: metrics export: %v\n", err)
	}
}

// deliveryProblem describes spans that were not delivered, or returns "".
func deliveryProblem(st otelbridge.DeliveryStats, shutdownErr error, errs *otelErrors, timeout time.Duration) string {
	// After Shutdown, every span that ended and was not exported is lost
	// (Dropped undercounts when Shutdown's deadline cut it short).
	lost := st.Ended - st.Exported
	if lost == 0 && shutdownErr == nil {
		return ""
	}
	msg := fmt.Sprintf("%d of %d spans not delivered", lost, st.Ended)
	switch first := errs.first(); {
	case first != nil:
		msg += ": " + oneLine(first.Error())
	case errors.Is(shutdownErr, context.DeadlineExceeded):
		msg += fmt.Sprintf(" within the %s shutdown timeout (is the endpoint reachable?)", timeout)
	case shutdownErr != nil:
		msg += ": " + oneLine(shutdownErr.Error())
	}
	return msg
}

func endpointName() string {
	if e := otlpEndpoint(); e != "" {
		return e
	}
	return "the default endpoint"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// otelErrors collects the errors the OpenTelemetry SDK reports to
// otel.Handle (failed exports) while bex exports, instead of letting the
// default handler log them with timestamps in the middle of the output.
type otelErrors struct {
	mu   sync.Mutex
	errs []error
}

// otelRouter is the process's OpenTelemetry error handler, installed once:
// the SDK's global handler delegates for good to the first handler set, so
// bex installs one router and points it at the current export's
// otelErrors; with none, errors are logged as the SDK's default does.
type otelRouter struct{ cur atomic.Pointer[otelErrors] }

var (
	router     otelRouter
	routerOnce sync.Once
)

// Handle passes err to the current export, or logs it.
func (r *otelRouter) Handle(err error) {
	if e := r.cur.Load(); e != nil {
		e.add(err)
		return
	}
	log.Print(err)
}

// captureOTelErrors routes OpenTelemetry errors to a new otelErrors until
// its restore.
func captureOTelErrors() *otelErrors {
	routerOnce.Do(func() { otel.SetErrorHandler(&router) })
	e := &otelErrors{}
	router.cur.Store(e)
	return e
}

func (e *otelErrors) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) < 10 {
		e.errs = append(e.errs, err)
	}
}

func (e *otelErrors) first() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) == 0 {
		return nil
	}
	return e.errs[0]
}

// restore stops routing errors to e.
func (e *otelErrors) restore() {
	if e != nil {
		router.cur.CompareAndSwap(e, nil)
	}
}
