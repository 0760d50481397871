// traceexport.go holds bex trace export: a trace file sent over OTLP.

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/vmspan"
)

var traceExportCommand = &command{
	name:    "trace export",
	args:    "FILE.jsonl",
	summary: "send a trace file to an OpenTelemetry backend over OTLP",
	help: `Export sends the spans of a JSONL trace file (- for stdin) over OTLP, configured
by the standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT, _HEADERS,
_PROTOCOL, OTEL_SERVICE_NAME, ...). The spans get the same trace and span
ids, parents, times and attributes as the live bridge gave them (the ids it
recorded in the file, whatever ids its provider chose, or those derived from
bex ids for a file written without a live bridge), so a trace exported later
is the trace that live export sent or would have sent; spans the live
sampler dropped are not sent. Content goes on the spans only with
--capture-content (or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true). Spans the
file never ends are exported ending at the file's last timestamp, with
status error.

It prints how many spans were exported. The exit status is 1 when any span
was not delivered (the backend is unreachable or rejected them) and when
lines were malformed (they are reported on stderr and skipped).
`,
	min: 1, max: 1,
	new: func() config { return &ExportConfig{ShutdownTimeout: 30 * time.Second} },
}

// ExportConfig is the configuration of bex trace export.
type ExportConfig struct {
	ShutdownTimeout time.Duration // --timeout: bound on delivering the spans after reading the file
	CaptureContent  bool          // --capture-content: content on the spans

	captureSet bool
}

// Flags registers the flags of bex trace export.
func (c *ExportConfig) Flags(fs *flag.FlagSet) {
	fs.DurationVar(&c.ShutdownTimeout, "timeout", c.ShutdownTimeout, "bound on delivering the spans once the file is read")
	fs.Var(&setBool{&c.CaptureContent, &c.captureSet}, "capture-content", "put prompts, completions, arguments and results on the spans (default: $OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)")
}

func (c *ExportConfig) run(ctx context.Context, _ *App, s *streams, args []string) int {
	path := args[0]
	if otlpEndpoint() == "" {
		fmt.Fprintln(s.stderr, "bex trace export: OTEL_EXPORTER_OTLP_ENDPOINT is not set; using the exporter's default endpoint")
	}
	errs := captureOTelErrors()
	defer errs.restore()
	p, err := otelbridge.NewProvider(ctx, otelbridge.WithShutdownTimeout(c.ShutdownTimeout), otelbridge.WithServiceName(ServiceName))
	if err != nil {
		fmt.Fprintf(s.stderr, "bex trace export: %v\n", err)
		return ExitError
	}
	src := &exportSource{events: openEvents(path, s.stdin), report: func(err error) { reportLine(s.stderr, path, err) }, traces: map[trace.TraceID]bool{}}
	// Export flushes the provider it is given with ctx, which has no
	// deadline; Shutdown below exports the queue within --timeout instead.
	opts := []otelbridge.Option{otelbridge.WithTracerProvider(otlpProvider{p})}
	if c.captureSet {
		opts = append(opts, otelbridge.WithContentCapture(c.CaptureContent))
	}
	st, _ := otelbridge.Export(ctx, src.all(), opts...)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	shutdownErr := p.Shutdown(sctx)
	return c.report(s, path, src, st, p.Stats(), shutdownErr, errs, ctx.Err())
}

// report prints the outcome and returns the exit status.
func (c *ExportConfig) report(s *streams, path string, src *exportSource, st otelbridge.ReplayStats, ds otelbridge.DeliveryStats, shutdownErr error, errs *otelErrors, cancelled error) int {
	if src.fatal != nil {
		fmt.Fprintf(s.stderr, "bex trace export: %v\n", src.fatal)
		return ExitError
	}
	code := ExitOK
	if cancelled != nil {
		fmt.Fprintf(s.stderr, "bex trace export: stopped before the end of %s: %v\n", path, cancelled)
		code = ExitError
	}
	if msg := deliveryProblem(ds, shutdownErr, errs, c.ShutdownTimeout); msg != "" {
		fmt.Fprintf(s.stderr, "bex trace export: %s: %s\n", endpointName(), msg)
		code = ExitError
	}
	fmt.Fprintf(s.stdout, "exported %d of %d spans (%s, %s) of %s to %s\n", ds.Exported, st.Spans+st.Attempts,
		plural(st.Spans, "bex span"), plural(st.Attempts, "LLM attempt"), plural(len(src.traces), "trace"), endpointName())
	if st.Unbalanced > 0 {
		fmt.Fprintf(s.stderr, "bex trace export: %s never ended in %s; exported ending at its last timestamp with status error\n", plural(st.Unbalanced, "span"), path)
	}
	if src.malformed > 0 {
		fmt.Fprintf(s.stderr, "bex trace export: %s: %s skipped\n", path, plural(src.malformed, "malformed line"))
		code = ExitError
	}
	return code
}

// exportSource streams a trace file's events to Export, reporting malformed
// lines as they come and counting traces.
type exportSource struct {
	events    iter.Seq2[vmspan.Event, error]
	report    func(error)
	traces    map[trace.TraceID]bool
	malformed int
	fatal     error // the file could not be read
}

func (x *exportSource) all() iter.Seq2[vmspan.Event, error] {
	return func(yield func(vmspan.Event, error) bool) {
		for e, err := range x.events {
			if err != nil {
				var le *jsonl.LineError
				if !errors.As(err, &le) {
					x.fatal = err
					return
				}
				x.malformed++
				x.report(err)
				continue
			}
			x.traces[e.TraceID] = true
			if !yield(e, nil) {
				return
			}
		}
	}
}
