package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	collectormetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"

	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

// receiver is an in-process OTLP gRPC trace and metrics receiver that
// keeps the spans and the metrics it gets (the minimal form of
// otelbridge's test receiver).
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics []*metricpb.Metric
	metricService
}

// metricService receives metrics for a receiver.
type metricService struct {
	collectormetric.UnimplementedMetricsServiceServer
	r *receiver
}

// Export records the metrics of one request.
func (m metricService) Export(_ context.Context, req *collectormetric.ExportMetricsServiceRequest) (*collectormetric.ExportMetricsServiceResponse, error) {
	m.r.mu.Lock()
	defer m.r.mu.Unlock()
	for _, rm := range req.ResourceMetrics {
		for _, sm := range rm.ScopeMetrics {
			m.r.metrics = append(m.r.metrics, sm.Metrics...)
		}
	}
	return &collectormetric.ExportMetricsServiceResponse{}, nil
}

// metricCount returns how many metrics (of any name) have been received.
func (r *receiver) metricCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.metrics)
}

// receivedMetrics returns the metrics received, by name (the last of each).
func (r *receiver) receivedMetrics() map[string]*metricpb.Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*metricpb.Metric{}
	for _, m := range r.metrics {
		out[m.Name] = m
	}
	return out
}

// Export records the spans of one request.
func (r *receiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *receiver) received() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// startReceiver serves a receiver on 127.0.0.1 and points the OTLP
// exporter at it (gRPC, whose default is http/protobuf, in plain text,
// through OTEL_EXPORTER_OTLP_ENDPOINT).
func startReceiver(t *testing.T) *receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	r.metricService.r = r
	srv := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(srv, r)
	collectormetric.RegisterMetricsServiceServer(srv, r.metricService)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+lis.Addr().String())
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	return r
}

// closedEndpoint points the OTLP exporter at a 127.0.0.1 port nobody
// listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + lis.Addr().String()
	lis.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", addr)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	// The exporter gives up within its own timeout (default 10 s), even
	// after bex's shutdown deadline; a short one lets its goroutines end
	// before goleak looks.
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "300")
	return addr
}

// An otelID is the OTel identity of a span: trace id, span id, parent span id.
type otelID struct{ trace, span, parent string }

// wantIDs returns the OTel ids the bridge gives the spans of a trace file:
// vmspan.OTelSpanID of each bex span id under the event's trace id, and
// vmspan.AttemptSpanID for each LLM attempt, under its LLM span.
func wantIDs(t *testing.T, events []vmspan.Event) []otelID {
	t.Helper()
	var out []otelID
	for _, e := range events {
		if e.Kind != vmspan.EventStart && !(e.Kind == vmspan.EventEnd && len(e.Attempts) > 0) {
			continue
		}
		sid, tid := vmspan.OTelSpanID(e.Span.ID), e.TraceID.String()
		if e.Kind == vmspan.EventEnd {
			for i := range e.Attempts {
				out = append(out, otelID{tid, vmspan.AttemptSpanID(e.Span.ID, i).String(), sid.String()})
			}
			continue
		}
		parent := ""
		switch {
		case !e.Span.Parent.IsZero():
			parent = vmspan.OTelSpanID(e.Span.Parent).String()
		case e.Remote != nil:
			parent = e.Remote.SpanID.String()
		}
		out = append(out, otelID{tid, sid.String(), parent})
	}
	return sortIDs(out)
}

// gotIDs returns the ids of the received spans.
func gotIDs(spans []*tracepb.Span) []otelID {
	out := make([]otelID, len(spans))
	for i, s := range spans {
		out[i] = otelID{hexOf(s.TraceId), hexOf(s.SpanId), hexOf(s.ParentSpanId)}
	}
	return sortIDs(out)
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&15])
	}
	return sb.String()
}

func sortIDs(ids []otelID) []otelID {
	sort.Slice(ids, func(i, j int) bool { return ids[i].span < ids[j].span })
	return ids
}

func readAll(t *testing.T, path string) []vmspan.Event {
	t.Helper()
	var out []vmspan.Event
	for e, err := range jsonl.ReadFile(path) {
		if err == nil {
			out = append(out, e)
		}
	}
	return out
}

func checkIDs(t *testing.T, got, want []otelID) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("received %d spans, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("span %d: ids %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTraceExport(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		code     int
		stdout   string   // prefix
		stderr   []string // substrings
		received int
	}{
		{"pipeline", pipelineTrace, ExitOK, "exported 11 of 11 spans (6 bex spans, 5 LLM attempts) of 2 traces to http://127.0.0.1:", nil, 11},
		{"bex", bexTrace, ExitOK, "exported 9 of 9 spans (6 bex spans, 3 LLM attempts) of 2 traces", nil, 9},
		{"reference", referenceTrace, ExitOK, "exported 3 of 3 spans (3 bex spans, 0 LLM attempts) of 1 trace to", nil, 3},
		{"malformed", malformedTrace, ExitError, "exported 3 of 3 spans", []string{
			"malformed.jsonl:2: call_stack[0]", "malformed.jsonl:11: unexpected EOF", "4 malformed lines skipped",
			"1 span never ended in testdata/trace/malformed.jsonl"}, 3},
		{"unbalanced", unbalancedTrace, ExitOK, "exported 7 of 7 spans (4 bex spans, 3 LLM attempts) of 1 trace", []string{"3 spans never ended"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			r := startReceiver(t)
			res := run(t, testApp(), "", "trace", "export", tt.file)
			if res.code != tt.code || !strings.HasPrefix(res.stdout, tt.stdout) {
				t.Errorf("exit %d, stdout %q; want %d, %q...\nstderr: %s", res.code, res.stdout, tt.code, tt.stdout, res.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
			if tt.stderr == nil && res.stderr != "" {
				t.Errorf("stderr: %s", res.stderr)
			}
			spans := r.received()
			if len(spans) != tt.received {
				t.Errorf("received %d spans, want %d", len(spans), tt.received)
			}
			checkIDs(t, gotIDs(spans), wantIDs(t, readAll(t, tt.file)))
		})
	}
}

// TestTraceExportUnreachable checks that export fails loudly when the spans
// cannot be delivered.
func TestTraceExportUnreachable(t *testing.T) {
	cleanEnv(t)
	addr := closedEndpoint(t)
	r := run(t, testApp(), "", "trace", "export", "--timeout", "1s", referenceTrace)
	if r.code != ExitError || !strings.Contains(r.stderr, addr+": 3 of 3 spans not delivered") || !strings.HasPrefix(r.stdout, "exported 0 of 3 spans") {
		t.Errorf("exit %d, stdout %q, stderr %q; want status 1 and 3 undelivered spans", r.code, r.stdout, r.stderr)
	}
	if r := run(t, testApp(), "", "trace", "export", "testdata/trace/nope.jsonl"); r.code != ExitError || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestRunOTLP runs a pipeline with OTLP export and a trace file: the spans
// received are those of the file, with the ids a later trace export gives
// them, and the engine's root span is the trace's root.
func TestRunOTLP(t *testing.T) {
	cleanEnv(t)
	pipelineStub(t)
	rec := startReceiver(t)
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	r := run(t, testApp(), "", "run", "testdata/prog/pipeline", "Triage", "--arg", "body=The login page is down.", "--jsonl", trace)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	spans := rec.received()
	checkIDs(t, gotIDs(spans), wantIDs(t, readEvents(t, trace)))
	roots := 0
	for _, s := range spans {
		if len(s.ParentSpanId) == 0 {
			roots++
			if s.Name != "Triage" {
				t.Errorf("trace root %q, want the engine's root span Triage", s.Name)
			}
		}
	}
	if roots != 1 {
		t.Errorf("%d root spans, want 1", roots)
	}

	// The metrics (OTEL_METRICS_EXPORTER=otlp) went to the same endpoint:
	// one duration per attempt, and the tokens of the attempts' spans.
	attempts, tokens := 0, int64(0)
	for _, s := range spans {
		if strings.HasPrefix(s.Name, "chat ") {
			attempts++
			for _, kv := range s.Attributes {
				if kv.Key == "gen_ai.usage.input_tokens" || kv.Key == "gen_ai.usage.output_tokens" {
					tokens += kv.Value.GetIntValue()
				}
			}
		}
	}
	got := rec.receivedMetrics()
	var count uint64
	for _, p := range got["gen_ai.client.operation.duration"].GetHistogram().GetDataPoints() {
		count += p.GetCount()
	}
	var sum float64
	for _, p := range got["gen_ai.client.token.usage"].GetHistogram().GetDataPoints() {
		sum += p.GetSum()
	}
	if attempts == 0 || count != uint64(attempts) || sum != float64(tokens) {
		t.Errorf("metrics: %d attempts in the duration histogram, %v tokens; the spans have %d attempts, %d tokens", count, sum, attempts, tokens)
	}

	// Without OTEL_METRICS_EXPORTER (or none) the metrics, and only them,
	// stay home: an endpoint alone means traces.
	t.Setenv("OTEL_METRICS_EXPORTER", "")
	metricsBefore, spansBefore := rec.metricCount(), len(rec.received())
	if r := run(t, testApp(), "", "run", "testdata/prog/pipeline", "Triage", "--arg", "body=The login page is down."); r.code != ExitOK {
		t.Fatalf("no OTEL_METRICS_EXPORTER: exit %d: %s", r.code, r.stderr)
	}
	if metricsAfter := rec.metricCount(); metricsAfter != metricsBefore || len(rec.received()) == spansBefore {
		t.Errorf("no OTEL_METRICS_EXPORTER: %d metrics and %d spans sent, want spans only", rec.metricCount()-metricsBefore, len(rec.received())-spansBefore)
	}

	// A later trace export of the file sends the same spans: ids, parents,
	// names and times.
	live := spanKeys(spans)
	replay := startReceiver(t)
	if r := run(t, testApp(), "", "trace", "export", trace); r.code != ExitOK {
		t.Fatalf("trace export: exit %d: %s", r.code, r.stderr)
	}
	if got := spanKeys(replay.received()); strings.Join(got, "\n") != strings.Join(live, "\n") {
		t.Errorf("trace export sent\n%s\nthe live bridge sent\n%s", strings.Join(got, "\n"), strings.Join(live, "\n"))
	}

	// --otlp=false wins over the environment.
	before := len(rec.received())
	if r := run(t, testApp(), "", "run", "testdata/prog/calc", "Fib", "--arg", "n=3", "--otlp=false"); r.code != ExitOK {
		t.Fatalf("--otlp=false: exit %d: %s", r.code, r.stderr)
	}
	if n := len(rec.received()); n != before {
		t.Errorf("--otlp=false: %d spans sent", n-before)
	}
}

// spanKeys describes received spans by ids, parent, name and times, sorted.
func spanKeys(spans []*tracepb.Span) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = fmt.Sprintf("%x %x %x %s %d %d", s.TraceId, s.SpanId, s.ParentSpanId, s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano)
	}
	sort.Strings(out)
	return out
}

// TestRunOTLPUnreachable checks that an unreachable OTLP endpoint does not
// fail the run: the failure is reported on stderr and the trace file is
// complete.
func TestRunOTLPUnreachable(t *testing.T) {
	cleanEnv(t)
	pipelineStub(t)
	addr := closedEndpoint(t)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	r := run(t, testApp(), "", "run", "testdata/prog/pipeline", "Triage", "--arg", "body=The login page is down.",
		"--jsonl", trace, "--shutdown-timeout", "1s")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, `"The login page is down`) {
		t.Errorf("exit %d, stdout %q; want status 0 and the result", r.code, r.stdout)
	}
	if want := "bex run: OTLP export to " + addr + ": 8 of 8 spans not delivered"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	events := readEvents(t, trace)
	checkBalanced(t, events)
	if len(events) != 8 {
		t.Errorf("trace file has %d events, want 8 (4 spans)", len(events))
	}
}

// TestRunOTLPTracesEndpoint checks that OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// alone turns export on, as OTEL_EXPORTER_OTLP_ENDPOINT does.
func TestRunOTLPTracesEndpoint(t *testing.T) {
	cleanEnv(t)
	rec := startReceiver(t)
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
	r := run(t, testApp(), "", "run", "testdata/prog/calc", "Fib", "--arg", "n=3", "--otlp")
	if r.code != ExitOK || r.stdout != "2\n" || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if n := len(rec.received()); n != 1 {
		t.Errorf("received %d spans, want the root span", n)
	}
}
