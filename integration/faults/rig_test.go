package faults_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/engine"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/runtime/llm/llmstub"
	"github.com/bexrun/bex/vmspan"
)

// program is the load: Run is the engine root; lookup (a traced host
// function), Headline (an LLM function, plus its attempt) and Score (a
// traced expression function) are its children.
const program = `
client<llm> Fast {
    provider openai
    options { model "gpt-4o-mini" base_url env.BASE api_key env.KEY }
}
function Headline(body: string) -> string {
    client Fast
    prompt #"One line headline for: {{ body }}"#
}
function Score(n: int) -> int {
    @@trace
    n * 2 + 1
}
function Run(body: string, n: int) -> string {
    let owner = lookup(body);
    let h = Headline(body);
    h + " (" + owner + ", " + Score(n).to_string() + ")"
}
`

// spansPerCall is the number of OTel spans of one Run call: Run, lookup,
// Headline, its attempt and Score.
const spansPerCall = 5

// Load shape: workers each start a call every period (skipping ticks while
// a call is still running), about 160 calls and 800 spans a second.
const (
	workers = 4
	period  = 25 * time.Millisecond
)

// batchTimeout replaces the default 5s export delay, so that the phases of
// a test can be short.
const batchTimeout = 200 * time.Millisecond

// rig is an engine whose events go to a JSONL trace file and through the
// bridge to a provider built from the OTEL_* environment, as bex.Setup
// builds them.
type rig struct {
	service string
	path    string
	file    *jsonl.Writer
	tp      *otelbridge.Provider
	exp     *recordingExporter
	eng     *engine.Engine
	errs    *otelErrors
}

// newRig exports to the OTLP/gRPC endpoint (host:port) with the OTEL_*
// variables an application would set; the exporter gives up on an export
// after exportTimeout.
func newRig(t *testing.T, service, endpoint string, exportTimeout time.Duration, opts ...otelbridge.ProviderOption) *rig {
	t.Helper()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc") // the default is http/protobuf
	t.Setenv("OTEL_SERVICE_NAME", service)
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", fmt.Sprint(exportTimeout.Milliseconds()))
	r := &rig{service: service, path: filepath.Join(t.TempDir(), "trace.jsonl"), errs: captureOTelErrors(t)}
	var err error
	if r.file, err = jsonl.Open(r.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.file.Close() })
	// The exporter otelbridge.NewProvider would build from the environment,
	// wrapped to learn which spans each export carried and how it ended.
	exp, err := otlptracegrpc.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r.exp = &recordingExporter{SpanExporter: exp, outcome: map[spanKey]error{}}
	opts = append([]otelbridge.ProviderOption{otelbridge.WithExporter(r.exp), otelbridge.WithBatchTimeout(batchTimeout)}, opts...)
	if r.tp, err = otelbridge.NewProvider(context.Background(), opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.tp.Shutdown(context.Background()) }) // a no-op once shut down
	stub := llmstub.New()
	t.Cleanup(stub.Close)
	tracer := vmspan.NewTracer(vmspan.Fanout(r.file, otelbridge.New(otelbridge.WithTracerProvider(r.tp))))
	r.eng = newEngine(t, tracer, stub.URL())
	return r
}

func newEngine(t *testing.T, tracer *vmspan.Tracer, stubURL string) *engine.Engine {
	t.Helper()
	env := map[string]string{"BASE": stubURL + "/v1", "KEY": "sk-faults"}
	eng, err := engine.New(engine.MustParse(map[string]string{"load.baml": program}),
		engine.WithTracer(tracer),
		engine.WithHost(engine.HostFunc{
			Name: "lookup", Params: []string{"q: string"}, Result: "string", Traced: true,
			Fn: func(ctx context.Context, args []any) (any, error) {
				return "team-" + fmt.Sprint(len(args[0].(string))), nil
			},
		}),
		engine.WithLLMOptions(llm.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })))
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// finish flushes and closes the trace file and shuts the provider down
// (exporting what is queued, within 30s), and returns the provider's final
// counts.
func (r *rig) finish(t *testing.T) otelbridge.DeliveryStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := errors.Join(r.file.Flush(ctx), r.file.Close()); err != nil {
		t.Fatalf("trace file: %v", err)
	}
	if st := r.file.Stats(); st.Dropped != 0 || st.WriteErrors != 0 {
		t.Errorf("trace file lost events: %+v", st)
	}
	start := time.Now()
	err := r.tp.Shutdown(ctx)
	st := r.tp.Stats()
	t.Logf("provider shutdown took %v (err %v); delivery %+v", time.Since(start).Round(time.Millisecond), err, st)
	if n, first := r.errs.get(); n > 0 {
		t.Logf("OpenTelemetry reported %d errors; first: %v", n, first)
	}
	return st
}

// recordingExporter remembers, for every span it was given, whether the
// export carrying it succeeded.
type recordingExporter struct {
	sdktrace.SpanExporter
	mu      sync.Mutex
	outcome map[spanKey]error // nil: exported
}

// ExportSpans exports and records the outcome.
func (e *recordingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	e.mu.Lock()
	for _, s := range spans {
		e.outcome[spanKey{s.SpanContext().TraceID(), s.SpanContext().SpanID()}] = err
	}
	e.mu.Unlock()
	return err
}

// outcomes returns a copy of the recorded outcomes.
func (e *recordingExporter) outcomes() map[spanKey]error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.outcome)
}

// otelErrors counts the errors the SDK reports to the global handler (failed
// exports), instead of logging each.
type otelErrors struct {
	n     atomic.Int64
	mu    sync.Mutex
	first error
}

func captureOTelErrors(t *testing.T) *otelErrors {
	e := &otelErrors{}
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if e.n.Add(1) == 1 {
			e.mu.Lock()
			e.first = err
			e.mu.Unlock()
		}
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return e
}

func (e *otelErrors) get() (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n.Load(), e.first
}

// A call is one engine call of the load.
type call struct {
	n     int64
	phase string
	start time.Time
	took  time.Duration
	err   error
}

// load runs Run calls from workers goroutines, each starting one every
// period, and records each call's latency under the phase current when it
// started.
type load struct {
	eng   *engine.Engine
	phase atomic.Pointer[string]
	next  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup

	mu    sync.Mutex
	calls []call
}

func startLoad(eng *engine.Engine, phase string) *load {
	l := &load{eng: eng, stop: make(chan struct{})}
	l.setPhase(phase)
	for range workers {
		l.wg.Go(l.work)
	}
	return l
}

func (l *load) setPhase(p string) { l.phase.Store(&p) }

func (l *load) work() {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
			l.call()
		}
	}
}

func (l *load) call() {
	c := call{n: l.next.Add(1), phase: *l.phase.Load(), start: time.Now()}
	body := fmt.Sprintf("Checkout is down for shop %d.", c.n)
	_, c.err = l.eng.Call(context.Background(), "Run", map[string]any{"body": body, "n": c.n})
	c.took = time.Since(c.start)
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// count returns the number of calls finished so far.
func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// finish stops the workers, waits for their calls and returns every call.
func (l *load) finish(t *testing.T) []call {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	for _, c := range l.calls {
		if c.err != nil {
			t.Errorf("call %d (%s) failed: %v", c.n, c.phase, c.err)
		}
	}
	return l.calls
}

// run keeps the phase for d.
func (l *load) run(phase string, d time.Duration) {
	l.setPhase(phase)
	time.Sleep(d)
}

// latency summarises the calls of one phase.
type latency struct {
	phase              string
	calls              int
	p50, p90, p99, max time.Duration
}

func (s latency) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	return fmt.Sprintf("| %s | %d | %s | %s | %s | %s |", s.phase, s.calls, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max))
}

// latencies returns per-phase percentiles, phases in order of appearance.
func latencies(calls []call) []latency {
	var phases []string
	by := map[string][]time.Duration{}
	for _, c := range calls {
		if by[c.phase] == nil {
			phases = append(phases, c.phase)
		}
		by[c.phase] = append(by[c.phase], c.took)
	}
	var out []latency
	for _, p := range phases {
		d := by[p]
		slices.Sort(d)
		at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
		out = append(out, latency{p, len(d), at(0.50), at(0.90), at(0.99), d[len(d)-1]})
	}
	return out
}

// logLatencies logs the table of per-phase latencies (a Markdown table, as
// docs/reliability.md shows it).
func logLatencies(t *testing.T, calls []call) {
	t.Helper()
	var b strings.Builder
	b.WriteString("per-call latency:\n| phase | calls | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range latencies(calls) {
		b.WriteString(s.String() + "\n")
	}
	t.Log(b.String())
}
