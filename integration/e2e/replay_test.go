package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/integration/jaegertest"
	"github.com/bexrun/bex/jsonl"
	"github.com/bexrun/bex/otelbridge"
	"github.com/bexrun/bex/runtime/llm"
	"github.com/bexrun/bex/vmspan"
)

// TestReplayAfterOutage runs the pipeline while the OTLP endpoint is down (a
// closed port) and a JSONL trace file records every event: nothing reaches
// Jaeger and the provider counts every span as dropped. Exporting the file
// afterwards with otelbridge.Export delivers the bex spans with the trace
// ids, span ids, parents, names, times, attributes and status that the live
// bridge produced (seen through a second, in-memory bridge during the run).
func TestReplayAfterOutage(t *testing.T) {
	j := jaegertest.Start(t)
	ctx := context.Background()

	// The outage: a short exporter timeout keeps the failing exports quick.
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "500")
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	file, err := jsonl.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	live := tracetest.NewInMemoryExporter()
	liveTP := sdktrace.NewTracerProvider(sdktrace.WithIDGenerator(otelbridge.IDGenerator()), sdktrace.WithSyncer(live))
	r := newRig(t, closedPort(t), file, otelbridge.New(otelbridge.WithTracerProvider(liveTP)))

	// A tree that starts in bex, and one under the application's span whose
	// LLM output is malformed.
	hctx, host := r.tracer.Start(ctx, "HandleTicket", "source", "replay")
	res, err := r.triage(hctx, "Checkout is down for all users. Nobody can pay.")
	host.End(res, err)
	if err != nil || res != wantResult {
		t.Fatalf("Triage = %v, %v", res, err)
	}
	actx, app := r.app.Start(ctx, "HandleRequest")
	_, badErr := r.triage(actx, malformedMarker+": the printer is on fire")
	app.End()
	var pe *llm.ParseError
	if !errors.As(badErr, &pe) {
		t.Fatalf("malformed call: err = %v, want a *llm.ParseError", badErr)
	}
	if err := errors.Join(file.Flush(ctx), file.Close()); err != nil {
		t.Fatalf("trace file: %v", err)
	}
	if st := file.Stats(); st.Dropped != 0 {
		t.Fatalf("trace file dropped events: %+v", st)
	}

	hostTrace, appTrace := host.TraceID(), app.SpanContext().TraceID()
	if hostTrace != vmspan.OTelTraceID(host.SpanContext().ID) {
		t.Fatalf("host span trace id %s, want vmspan.OTelTraceID of its bex id", hostTrace)
	}
	const (
		hostSpans = 8 // HandleTicket, Triage, 2 LLM, 2 attempts, lookup, db.query
		appSpans  = 4 // HandleRequest, Triage, ClassifyTicket, its attempt
	)
	t.Run("outage", func(t *testing.T) {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_ = r.tp.Shutdown(sctx) // the SDK reports failed exports to otel.Handle, not here
		st := r.tp.Stats()
		if st.Ended != hostSpans+appSpans || st.Exported != 0 || st.Dropped != st.Ended {
			t.Errorf("provider stats %+v: want %d spans ended, none exported, all dropped", st, hostSpans+appSpans)
		}
		services, err := j.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(services) != 0 {
			t.Errorf("Jaeger knows services %v, want none: nothing should have reached it", services)
		}
		for _, id := range []trace.TraceID{hostTrace, appTrace} {
			if _, err := j.Trace(ctx, id.String()); !errors.Is(err, jaegertest.ErrTraceNotFound) {
				t.Errorf("trace %s: err = %v, want ErrTraceNotFound", id, err)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	// The exporter is back: send the trace file.
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "10000")
	tp2 := newProvider(t, j.OTLPHTTPEndpoint())
	st, err := otelbridge.Export(ctx, jsonl.ReadFile(path), otelbridge.WithTracerProvider(tp2))
	if err != nil {
		t.Fatalf("Export: %v (stats %+v)", err, st)
	}
	recorded := r.rec.Events()
	if want := (otelbridge.ReplayStats{Events: len(recorded), Spans: 7, Attempts: 3}); st != want {
		t.Errorf("Export stats %+v, want %+v", st, want)
	}
	if err := tp2.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := tp2.Stats(); d.Exported != 10 || d.Dropped != 0 {
		t.Errorf("replay provider stats %+v, want 10 exported, none dropped", d)
	}

	// The trees, computed from the bex ids: the OTel-only spans (the
	// application's, db.query) were never in the file.
	events := byTrace(r.rec)
	hostTree := &tree{id: hostTrace}
	root := hostTree.add("HandleTicket", vmspan.OTelSpanID(host.SpanContext().ID), trace.SpanID{})
	hostTree.addPipeline(t, events[hostTrace], root, trace.SpanID{}, false)
	appTree := &tree{id: appTrace}
	appTree.addPipeline(t, events[appTrace], app.SpanContext().SpanID(), trace.SpanID{}, true)

	got := map[trace.TraceID]*jaegertest.Trace{}
	for _, w := range []*tree{hostTree, appTree} {
		tr := j.WaitTrace(t, w.id.String(), len(w.nodes))
		w.check(t, tr)
		checkService(t, tr)
		got[w.id] = tr
	}

	// The same spans as the live bridge made while the exporter was down.
	spans := live.GetSpans()
	if len(spans) != 10 {
		t.Fatalf("the live bridge made %d spans, want 10", len(spans))
	}
	for _, ls := range spans {
		compareLive(t, got[ls.SpanContext.TraceID()], ls)
	}
	if err := liveTP.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// compareLive checks that Jaeger's replayed span equals the live one.
func compareLive(t *testing.T, tr *jaegertest.Trace, ls tracetest.SpanStub) {
	t.Helper()
	id := ls.SpanContext.SpanID().String()
	if tr == nil {
		t.Errorf("live span %s %s: its trace %s was not replayed", ls.Name, id, ls.SpanContext.TraceID())
		return
	}
	s := tr.SpanByID(id)
	if s == nil {
		t.Errorf("live span %s %s is missing from the replayed trace:\n%s", ls.Name, id, describe(tr))
		return
	}
	if s.OperationName != ls.Name {
		t.Errorf("span %s: replayed name %q, live %q", id, s.OperationName, ls.Name)
	}
	if p := ls.Parent.SpanID().String(); !sameID(s.ParentSpanID(), p) {
		t.Errorf("span %s: replayed parent %s, live %s", ls.Name, s.ParentSpanID(), p)
	}
	if s.StartTime.UnixMicro() != ls.StartTime.UnixMicro() {
		t.Errorf("span %s: replayed start %v, live %v", ls.Name, s.StartTime, ls.StartTime)
	}
	if d := s.Duration - ls.EndTime.Sub(ls.StartTime).Truncate(time.Microsecond); d < -time.Microsecond || d > time.Microsecond {
		t.Errorf("span %s: replayed duration %v, live %v", ls.Name, s.Duration, ls.EndTime.Sub(ls.StartTime))
	}
	if kind, _ := s.Tag("span.kind"); kind != ls.SpanKind.String() {
		t.Errorf("span %s: replayed kind %v, live %v", ls.Name, kind, ls.SpanKind)
	}
	for _, kv := range ls.Attributes {
		got, ok := s.Tag(string(kv.Key))
		want := jaegerValue(kv.Value)
		if !ok || got != want {
			t.Errorf("span %s: replayed %s = %#v (present %v), live %#v", ls.Name, kv.Key, got, ok, want)
		}
	}
	failed, _ := s.Tag("error")
	if (ls.Status.Code == codes.Error) != (failed == true) {
		t.Errorf("span %s: replayed error tag %v, live status %v", ls.Name, failed, ls.Status)
	}
	if desc, _ := s.Tag("otel.status_description"); ls.Status.Code == codes.Error && desc != ls.Status.Description {
		t.Errorf("span %s: replayed status %q, live %q", ls.Name, desc, ls.Status.Description)
	}
	if len(s.Logs) != len(ls.Events) || !slices.EqualFunc(s.Logs, ls.Events, func(l jaegertest.Log, e sdktrace.Event) bool {
		name, _ := l.Fields.Get("event")
		return name == e.Name && l.Timestamp.UnixMicro() == e.Time.UnixMicro()
	}) {
		t.Errorf("span %s: replayed logs %+v, live events %+v", ls.Name, s.Logs, ls.Events)
	}
}

// jaegerValue is an attribute value as Jaeger's query API shows it: arrays
// as JSON.
func jaegerValue(v attribute.Value) any {
	switch v.Type() {
	case attribute.BOOL:
		return v.AsBool()
	case attribute.INT64:
		return v.AsInt64()
	case attribute.FLOAT64:
		return v.AsFloat64()
	case attribute.STRING:
		return v.AsString()
	}
	b, _ := json.Marshal(v.AsInterface())
	return string(b)
}
