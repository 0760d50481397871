package topology_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"math"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/bexrun/bex/integration/internal/deploy"
	"github.com/bexrun/bex/integration/internal/prom"
	"github.com/bexrun/bex/integration/internal/spanlog"
	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/vmspan"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The gateway's sampling knobs in this test.
const (
	slowMs        = 500 // GATEWAY_SLOW_MS: traces at least this long are kept
	sharePercent  = 25  // GATEWAY_SAMPLING_PERCENTAGE of the other traces
	decisionWait  = 5 * time.Second
	traces        = 48 // sent by the frontend, of the kinds below
	workers       = 4  // concurrent traces
	decisionBound = 2 * time.Minute
)

// What a trace of the load does.
type kind int

const (
	normal   kind = iota
	failing       // the model fails in summarize; the error reaches the frontend
	slow          // summarize's work sleeps; the trace lasts over slowMs
	headDrop      // the frontend does not sample it: nobody exports a span
)

func (k kind) String() string { return [...]string{"normal", "failing", "slow", "head-dropped"}[k] }

func kindOf(n int) kind {
	switch n % 8 {
	case 3:
		return failing
	case 5:
		return slow
	case 7:
		return headDrop
	}
	return normal
}

// sent is a trace the frontend sent.
type sent struct {
	id       string
	kind     kind
	duration time.Duration // of its root span, which spans the whole trace
}

// TestTwoTier runs the production topology of docs/production.md with real
// processes: two replicas of a triage service whose bex pipeline calls two
// replicas of a summarize service over HTTP (otelhttp on both sides, the
// call made from a traced bex host function), each replica running bex
// pipelines against its LLM stub and exporting OTLP to one gateway (the
// Jaeger binary running deploy/otelcol-gateway.yaml: tail sampling, span
// metrics), which forwards the traces it keeps to a trace store (the Jaeger
// binary running deploy/jaeger-store.yaml). The test process is the
// frontend: every trace starts with its span and calls both triage
// replicas, so that every trace has spans from all five processes.
//
// Each process logs the spans it exported (the ground truth); the test
// computes which traces the gateway must keep — every trace with an error
// span, every trace whose root lasted slowMs or more, and the traces whose
// id falls in the probabilistic share by the processor's own hash — and
// checks the store: every kept trace is there with exactly the spans the
// processes exported, one root, every parent present, the cross-process
// parents right; no other trace and no other span is there. Traces dropped
// at the head by the frontend's sampler are exported by no process, and
// the services' JSONL trace files still have their calls.
func TestTwoTier(t *testing.T) {
	store := deploy.StartStore(t)
	gw := deploy.StartGateway(t, store.OTLPGRPCEndpoint(), map[string]string{
		"GATEWAY_SLOW_MS":             strconv.Itoa(slowMs),
		"GATEWAY_SAMPLING_PERCENTAGE": strconv.Itoa(sharePercent),
		"GATEWAY_DECISION_WAIT":       decisionWait.String(),
	})
	bin := buildService(t)
	dir := t.TempDir()
	// The services export over OTLP/HTTP (the default protocol), the
	// frontend over OTLP/gRPC.
	var summarize, triage []*service
	for i := 1; i <= 2; i++ {
		summarize = append(summarize, startService(t, bin, dir, "summarize", "summarize", fmt.Sprintf("summarize-%d", i), gw.OTLPHTTPEndpoint()))
	}
	for i := 1; i <= 2; i++ {
		triage = append(triage, startService(t, bin, dir, "triage", "triage", fmt.Sprintf("triage-%d", i), gw.OTLPHTTPEndpoint(), summarize[0].url, summarize[1].url))
	}
	front := newFrontend(t, gw.OTLPGRPCEndpoint())

	all := runLoad(t, front, triage)
	services := append(slices.Clone(triage), summarize...)
	for _, s := range services {
		s.stop(t)
	}
	if err := front.tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("frontend: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}

	exported := exportedSpans(t, front, services)
	salt := hashSalt(t)
	var kept, dropped []sent
	keptSpans := 0
	for _, s := range all {
		spans := exported[s.id]
		if s.kind == headDrop {
			if len(spans) != 0 {
				t.Errorf("trace %s was dropped at the head, but %d of its spans were exported: %v", s.id, len(spans), spans)
			}
			continue
		}
		if len(spans) == 0 {
			t.Errorf("%s trace %s: no span exported", s.kind, s.id)
			continue
		}
		hasErr := slices.ContainsFunc(spans, func(s spanlog.Span) bool { return s.Error })
		if (s.kind == failing) != hasErr {
			t.Errorf("%s trace %s: error spans %v, want them only in failing traces", s.kind, s.id, hasErr)
		}
		if s.kind == slow && s.duration.Milliseconds() < slowMs {
			t.Errorf("slow trace %s lasted %v, under %dms", s.id, s.duration, slowMs)
		}
		if hasErr || s.duration.Milliseconds() >= slowMs || inShare(salt, sharePercent, s.id) {
			kept = append(kept, s)
			keptSpans += len(spans)
		} else {
			dropped = append(dropped, s)
		}
	}
	t.Logf("%d traces: %d kept (%d spans), %d dropped by the gateway, %d at the head", len(all), len(kept), keptSpans, len(dropped), len(all)-len(kept)-len(dropped))
	if len(dropped) == 0 {
		t.Fatal("the load left the gateway nothing to drop")
	}

	// Every trace that reached the gateway gets its decision decisionWait
	// after its first span; then the gateway's shutdown flushes what it
	// keeps to the store.
	decided := float64(len(kept) + len(dropped))
	if err := prom.Wait(gw.MetricsURL(), "otelcol_processor_tail_sampling_global_count_traces_sampled_total", nil, decided, decisionBound); err != nil {
		t.Fatalf("the gateway's decisions: %v", err)
	}
	checkMetrics(t, gw, services)
	if err := gw.Stop(); err != nil {
		t.Fatal(err)
	}
	// The store has written every span the gateway sent once its exporter
	// has sent them all; more would be spans of dropped traces.
	if err := prom.Wait(store.MetricsURL(), "otelcol_exporter_sent_spans_total", map[string]string{"exporter": "jaeger_storage_exporter"}, float64(keptSpans), 30*time.Second); err != nil {
		t.Errorf("spans stored: %v", err)
	}
	checkStoredIDs(t, store, kept)
	for _, s := range kept {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tr, err := store.Trace(ctx, s.id)
		cancel()
		if err != nil {
			t.Errorf("kept %s trace %s: %v", s.kind, s.id, err)
			continue
		}
		checkTrace(t, s, tr, exported[s.id])
	}
	for _, s := range dropped {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tr, err := store.Trace(ctx, s.id)
		cancel()
		if !errors.Is(err, jaegertest.ErrTraceNotFound) {
			n := -1
			if tr != nil {
				n = len(tr.Spans)
			}
			t.Errorf("dropped %s trace %s: stored with %d spans (err %v), want absent", s.kind, s.id, n, err)
		}
	}
	checkTraceFiles(t, all, triage, summarize)
}

// runLoad sends the traces, workers at a time, and returns them.
func runLoad(t *testing.T, f *frontend, triage []*service) []sent {
	t.Helper()
	out := make([]sent, traces)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range next {
				out[n] = f.send(t, n, triage)
			}
		})
	}
	for n := range traces {
		next <- n
	}
	close(next)
	wg.Wait()
	return out
}

// send makes trace n: the frontend's root span, then a ticket to each
// triage replica.
func (f *frontend) send(t *testing.T, n int, triage []*service) sent {
	k := kindOf(n)
	ctx, root := f.tracer.Start(context.Background(), "tickets", trace.WithAttributes(headDropKey.Bool(k == headDrop)))
	for i, svc := range triage {
		ticket := fmt.Sprintf("Ticket %d.%d: the checkout page shows an error for some users.", n, i)
		if k == failing && i == 1 {
			ticket += " [fail]"
		}
		if k == slow && i == 0 {
			ticket += " [slow]"
		}
		status, body := f.post(ctx, svc.url+"/triage", ticket)
		wantStatus := http.StatusOK
		if k == failing && i == 1 {
			wantStatus = http.StatusBadGateway
			root.SetStatus(codes.Error, "a ticket failed")
		}
		if status != wantStatus {
			t.Errorf("%s trace %d: POST %s/triage: %d %s, want %d", k, n, svc.url, status, body, wantStatus)
		}
	}
	root.End()
	s := sent{id: root.SpanContext().TraceID().String(), kind: k}
	if ro, ok := root.(sdktrace.ReadOnlySpan); ok { // not for a trace dropped at the head
		s.duration = ro.EndTime().Sub(ro.StartTime())
	}
	return s
}

func (f *frontend) post(ctx context.Context, url, body string) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// exportedSpans reads the span logs of the services and the frontend's and
// groups the exported spans by trace id.
func exportedSpans(t *testing.T, f *frontend, services []*service) map[string][]spanlog.Span {
	t.Helper()
	byTrace := map[string][]spanlog.Span{}
	add := func(spans []spanlog.Span) {
		for _, s := range spans {
			if !s.Exported {
				t.Errorf("span %s %s of trace %s was not exported", s.SpanID, s.Name, s.TraceID)
			}
			byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
		}
	}
	add(f.rec.Spans())
	for _, s := range services {
		spans, err := spanlog.ReadFile(s.spans)
		if err != nil {
			t.Fatal(err)
		}
		add(spans)
	}
	return byTrace
}

// hashSalt reads the probabilistic policy's hash_salt from the gateway's
// configuration file.
func hashSalt(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deploy.Dir(t), "otelcol-gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*hash_salt:\s*(\S+)\s*$`).FindAllSubmatch(b, -1)
	if len(m) != 1 {
		t.Fatalf("deploy/otelcol-gateway.yaml has %d hash_salt settings, want 1", len(m))
	}
	return string(m[0][1])
}

// inShare reports whether the tail sampling processor's probabilistic
// policy keeps the trace: FNV-1a over the salt and the trace id's bytes, at
// most percent/100 of the uint64 range (processor/tailsamplingprocessor/
// internal/sampling/probabilistic.go in collector-contrib v0.140.1).
func inShare(salt string, percent float64, traceID string) bool {
	id, err := trace.TraceIDFromHex(traceID)
	if err != nil {
		panic(err)
	}
	boundary := new(big.Float).SetInt(new(big.Int).SetUint64(math.MaxUint64))
	threshold, _ := boundary.Mul(boundary, big.NewFloat(percent/100)).Uint64()
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write(id[:])
	return h.Sum64() <= threshold
}

// Every trace spans all five processes.
var instances = []string{"frontend-1", "summarize-1", "summarize-2", "triage-1", "triage-2"}

// checkTrace checks a stored trace against the spans its processes
// exported: the same span ids, one root, every parent present, each
// process's spans under the client span of its caller.
func checkTrace(t *testing.T, s sent, tr *jaegertest.Trace, exported []spanlog.Span) {
	t.Helper()
	want := map[string]spanlog.Span{}
	for _, sp := range exported {
		want[sp.SpanID] = sp
	}
	got := map[string]*jaegertest.Span{}
	var roots []string
	seen := map[string]bool{}
	for i := range tr.Spans {
		sp := &tr.Spans[i]
		got[sp.SpanID] = sp
		inst, _ := tr.Process(sp).Tags.Get("service.instance.id")
		seen[fmt.Sprint(inst)] = true
		if sp.ParentSpanID() == "" {
			roots = append(roots, sp.OperationName)
		}
	}
	if len(got) != len(want) || !maps.EqualFunc(got, want, func(*jaegertest.Span, spanlog.Span) bool { return true }) {
		t.Errorf("%s trace %s: stored %d spans, exported %d; stored only %v, exported only %v", s.kind, s.id,
			len(got), len(want), missing(got, want), missing(want, got))
		return
	}
	if !slices.Equal(roots, []string{"tickets"}) {
		t.Errorf("%s trace %s: roots %v, want the frontend's tickets span alone", s.kind, s.id, roots)
	}
	if inst := slices.Sorted(maps.Keys(seen)); !slices.Equal(inst, instances) {
		t.Errorf("%s trace %s: spans from %v, want %v", s.kind, s.id, inst, instances)
	}
	for _, sp := range got {
		p := sp.ParentSpanID()
		if p == "" {
			continue
		}
		parent, ok := got[p]
		if !ok {
			t.Errorf("%s trace %s: span %s (%s) has parent %s, which is not in the trace", s.kind, s.id, sp.SpanID, sp.OperationName, p)
			continue
		}
		checkParent(t, s, tr, sp, parent, got)
	}
	if s.kind == failing {
		for _, svc := range []string{"frontend", "triage", "summarize"} {
			if !slices.ContainsFunc(tr.Spans, func(sp jaegertest.Span) bool {
				e, _ := sp.Tag("error")
				return e == true && tr.ServiceName(&sp) == svc
			}) {
				t.Errorf("failing trace %s: no error span in %s", s.id, svc)
			}
		}
	}
}

// checkParent checks the edges that cross a process boundary, and that
// each bex root span is under its process's server span.
func checkParent(t *testing.T, s sent, tr *jaegertest.Trace, sp, parent *jaegertest.Span, spans map[string]*jaegertest.Span) {
	t.Helper()
	inst := func(x *jaegertest.Span) string {
		v, _ := tr.Process(x).Tags.Get("service.instance.id")
		return fmt.Sprint(v)
	}
	kind := func(x *jaegertest.Span) string { v, _ := x.Tag("span.kind"); return fmt.Sprint(v) }
	bexKind := func(x *jaegertest.Span) string { v, _ := x.Tag("bex.span.kind"); return fmt.Sprint(v) }
	fail := func(format string, args ...any) {
		t.Errorf("%s trace %s: span %s (%s in %s) under %s (%s in %s): %s", s.kind, s.id, sp.SpanID, sp.OperationName, inst(sp),
			parent.SpanID, parent.OperationName, inst(parent), fmt.Sprintf(format, args...))
	}
	cross := inst(sp) != inst(parent)
	switch {
	case sp.OperationName == "POST /triage":
		if !cross || kind(sp) != "server" || kind(parent) != "client" || tr.ServiceName(parent) != "frontend" {
			fail("want a triage server span under a frontend client span")
		}
	case sp.OperationName == "POST /summarize":
		grand := spans[parent.ParentSpanID()]
		if !cross || kind(sp) != "server" || kind(parent) != "client" || tr.ServiceName(parent) != "triage" ||
			grand == nil || grand.OperationName != "summarize" || bexKind(grand) != "host-function" || inst(grand) != inst(parent) {
			fail("want a summarize server span under a triage client span, under the bex host function summarize")
		}
	case cross:
		fail("an unexpected edge between processes")
	case bexKind(sp) == "root":
		if kind(parent) != "server" {
			fail("want the engine's root under the server span")
		}
	}
}

func missing[A, B any](a map[string]A, b map[string]B) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// checkStoredIDs searches the store for every trace with a span of each
// service: they must be exactly the kept ones.
func checkStoredIDs(t *testing.T, store *jaegertest.Jaeger, kept []sent) {
	t.Helper()
	want := map[string]bool{}
	for _, s := range kept {
		want[s.id] = true
	}
	for _, svc := range []string{"frontend", "triage", "summarize"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		found, err := store.FindTraces(ctx, svc, 10*traces)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, tr := range found {
			got[tr.TraceID] = true
		}
		if !maps.Equal(got, want) {
			t.Errorf("the store has %d traces with %s spans, want the %d kept; extra %v, missing %v", len(got), svc, len(want), missing(got, want), missing(want, got))
		}
	}
}

// checkTraceFiles checks that the services' JSONL trace files have every
// call the services served, sampled or not: each trace's engine roots, as
// children of the caller's span (the remote parent, with its trace id).
func checkTraceFiles(t *testing.T, all []sent, triage, summarize []*service) {
	t.Helper()
	roots := func(svcs []*service, fn string) map[string]int {
		n := map[string]int{}
		for _, s := range svcs {
			for e, err := range jsonl.ReadFile(s.file) {
				if err != nil {
					t.Fatalf("%s: %v", s.file, err)
				}
				if e.Kind == vmspan.EventStart && e.SpanKind == vmspan.KindRoot && e.Name == fn && e.Remote != nil {
					n[e.Remote.TraceID.String()]++
				}
			}
		}
		return n
	}
	triageRoots, summarizeRoots := roots(triage, "Triage"), roots(summarize, "Summarize")
	// Each trace calls Triage on both replicas, and each of those
	// Summarize twice (the failing part is the last one called).
	for _, s := range all {
		if triageRoots[s.id] != 2 || summarizeRoots[s.id] != 4 {
			t.Errorf("%s trace %s: the trace files have %d Triage and %d Summarize calls, want 2 and 4", s.kind, s.id, triageRoots[s.id], summarizeRoots[s.id])
		}
	}
}

// checkMetrics checks the metrics the services sent through the gateway,
// read from its Prometheus exporter, against their JSONL trace files: the
// token usage sums, by type, equal the sums of the attempts' usage in the
// files, exactly; the duration histograms count every attempt, the failed
// ones with their error.type; and the health instruments say that no span
// and no event was lost and every event was written.
func checkMetrics(t *testing.T, gw *jaegertest.Jaeger, services []*service) {
	t.Helper()
	var input, output, attempts, failed, events float64
	for _, s := range services {
		for e, err := range jsonl.ReadFile(s.file) {
			if err != nil {
				t.Fatalf("%s: %v", s.file, err)
			}
			events++
			if e.Kind != vmspan.EventEnd {
				continue
			}
			for _, a := range e.Attempts {
				attempts++
				if a.Err != nil {
					failed++
				}
				if n := a.Usage.InputTokens; n != nil {
					input += float64(*n)
				}
				if n := a.Usage.OutputTokens; n != nil {
					output += float64(*n)
				}
			}
		}
	}
	if attempts == 0 || failed == 0 || input == 0 || output == 0 {
		t.Fatalf("the trace files have %v attempts (%v failed), %v input and %v output tokens: nothing to compare", attempts, failed, input, output)
	}
	url := deploy.PrometheusURL(gw)
	// The services sent their final values at shutdown; wait until the
	// gateway has them all.
	if err := prom.Wait(url, "gen_ai_client_operation_duration_seconds", nil, attempts, time.Minute); err != nil {
		t.Fatalf("duration histograms: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fams, err := prom.Scrape(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for typ, want := range map[string]float64{"input": input, "output": output} {
		got, _ := prom.HistogramSum(fams, "gen_ai_client_token_usage", map[string]string{"gen_ai_token_type": typ})
		if got != want {
			t.Errorf("gen_ai_client_token_usage{gen_ai_token_type=%q} sums to %v on the gateway, %v in the trace files", typ, got, want)
		}
	}
	if got, _ := prom.Sum(fams, "gen_ai_client_operation_duration_seconds", map[string]string{"error_type": "500"}); got != failed {
		t.Errorf("%v attempts with error_type 500 on the gateway, %v failed in the trace files", got, failed)
	}
	for name, want := range map[string]float64{
		"bex_bridge_spans_dropped_total": 0, "bex_jsonl_events_dropped_total": 0, "bex_jsonl_events_written_total": events,
	} {
		if got, ok := prom.Sum(fams, name, nil); !ok || got != want {
			t.Errorf("%s = %v (present %v) on the gateway, want %v", name, got, ok, want)
		}
	}
	started, _ := prom.Sum(fams, "bex_bridge_spans_started_total", nil)
	ended, _ := prom.Sum(fams, "bex_bridge_spans_ended_total", nil)
	if started == 0 || started != ended {
		t.Errorf("bex spans started %v, ended %v on the gateway", started, ended)
	}
	t.Logf("metrics: %v attempts (%v failed), %v input and %v output tokens, %v trace file events, %v bex spans", attempts, failed, input, output, events, started)
}
