package otelbridge

import (
	"context"
	"net/http"
	"testing"

	"github.com/bexrun/bex/vmspan"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// runInterleaved runs, with the application tracer app of the same provider:
// app span "http" -> bex host span Handle -> app span "db" (started from
// Handle's ctx, as a host function would) -> bex host span Inner -> bex root
// main -> bex LLM Extract (with attempts).
func runInterleaved(f *fixture, app trace.Tracer) {
	ctx, httpSpan := app.Start(context.Background(), "http")
	ctx, handle := f.tracer.Start(ctx, "Handle")
	dctx, db := app.Start(ctx, "db")
	ictx, inner := f.tracer.Start(dctx, "Inner")
	root := f.tracer.StartSpan(ictx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	llm, endLlm := child(root, "Extract", vmspan.KindLLM, nil)
	llm.AddAttempts(attemptsFor()...)
	endLlm("ok", nil)
	root.End(nil, nil)
	inner.End(nil, nil)
	db.End()
	handle.End(nil, nil)
	httpSpan.End()
}

// checkInterleaved checks the parents and trace ids of runInterleaved's
// spans, whatever ids the provider chose.
func checkInterleaved(t *testing.T, f *fixture) {
	t.Helper()
	s := func(name string) sdktrace.ReadOnlySpan { return f.span(t, name) }
	checkParent(t, s("Handle"), s("http"))
	checkParent(t, s("db"), s("Handle"))
	checkParent(t, s("Inner"), s("db"))
	checkParent(t, s("main"), s("Inner"))
	checkParent(t, s("Extract"), s("main"))
	checkParent(t, s("chat gpt-4o"), s("Extract"))
	checkParent(t, s("chat claude-sonnet"), s("Extract"))
	tid := s("http").SpanContext().TraceID()
	for _, sp := range f.sr.Ended() {
		if sp.SpanContext().TraceID() != tid {
			t.Errorf("%s in trace %v, want the application's trace %v", sp.Name(), sp.SpanContext().TraceID(), tid)
		}
	}
}

func TestRemoteParentAndHostChildren(t *testing.T) {
	for _, random := range []bool{false, true} {
		name := "IDGenerator"
		if random {
			name = "AppProviderWithoutIDGenerator"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, random)
			runInterleaved(f, f.tp.Tracer("app"))
			if n := len(f.sr.Ended()); n != 8 {
				t.Fatalf("%d spans, want 8", n)
			}
			checkInterleaved(t, f)
			handle := find(t, f.rec, vmspan.EventStart, "Handle")
			if handle.Remote == nil || handle.TraceID != f.span(t, "http").SpanContext().TraceID() {
				t.Errorf("Handle's start event: remote %v, trace %v", handle.Remote, handle.TraceID)
			}
			if !random {
				for _, name := range []string{"Handle", "Inner", "main", "Extract"} {
					_, sid := ids(find(t, f.rec, vmspan.EventStart, name))
					if got := f.span(t, name).SpanContext().SpanID(); got != sid {
						t.Errorf("%s: span id %v, want OTelSpanID %v", name, got, sid)
					}
				}
			}
		})
	}
}

func TestContextForHostFunction(t *testing.T) {
	for _, random := range []bool{false, true} {
		t.Run(map[bool]string{false: "IDGenerator", true: "Random"}[random], func(t *testing.T) {
			f := newFixture(t, random)
			app := f.tp.Tracer("app")
			ctx, host := f.tracer.Start(context.Background(), "Handle")
			_, q := app.Start(ctx, "query")
			q.End()
			root := f.tracer.StartSpan(ctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
			_, call := app.Start(root.Context(ctx), "tool-call") // what a traced host function sees
			call.End()
			root.End(nil, nil)
			host.End(nil, nil)
			checkParent(t, f.span(t, "query"), f.span(t, "Handle"))
			checkParent(t, f.span(t, "tool-call"), f.span(t, "main"))
			checkParent(t, f.span(t, "main"), f.span(t, "Handle"))
			if r := find(t, f.rec, vmspan.EventStart, "main").Remote; r != nil {
				t.Errorf("main has remote parent %v; the OTel span in ctx is its bex parent's", r)
			}
		})
	}
}

func TestContextForSpanNotOpen(t *testing.T) {
	b := New(WithTracerProvider(trace.NewNoopTracerProvider()))
	id := vmspan.SequentialIDs()()
	start := &vmspan.Event{Kind: vmspan.EventStart, Span: vmspan.SpanContext{ID: id, Root: id}, TraceID: vmspan.OTelTraceID(id)}
	sc := trace.SpanContextFromContext(b.ContextFor(context.Background(), start))
	if sc.TraceID() != start.TraceID || sc.SpanID() != vmspan.OTelSpanID(id) || !sc.IsSampled() {
		t.Errorf("span context %v, want the deterministic one, sampled", sc)
	}
	if ctx := b.ContextFor(context.Background(), nil); trace.SpanContextFromContext(ctx).IsValid() {
		t.Error("ContextFor(nil) added a span")
	}
}

// TestParentNotSeen attaches the bridge mid-tree: it never sees the root's
// start, yet with the IDGenerator the trace equals that of a full run.
func TestParentNotSeen(t *testing.T) {
	full := newFixture(t, false)
	runLLM(full)
	events := full.rec.Events()

	tp, sr := newRecorder(t, false)
	b := New(WithTracerProvider(tp))
	for _, e := range events[1:] { // events[0] is main's start
		b.Emit(&e)
	}
	if got, want := summarize(sr.Ended()), summarize(full.sr.Ended()); !equalSummaries(got, want) {
		t.Errorf("mid-tree trace differs:\n got %v\nwant %v", got, want)
	}
	if s := b.Stats(); s.Late != 1 || s.Open != 0 {
		t.Errorf("stats %+v, want one late span", s)
	}
}

func TestGlobalProviderResolvedLazily(t *testing.T) {
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	b := New() // before the application sets its provider
	tracer := vmspan.NewTracer(b, vmspan.WithIDs(vmspan.SequentialIDs()))
	tp1, sr1 := newRecorder(t, false)
	otel.SetTracerProvider(tp1)
	_, s := tracer.Start(context.Background(), "first")
	s.End(nil, nil)
	tp2, sr2 := newRecorder(t, false)
	otel.SetTracerProvider(tp2)
	_, s = tracer.Start(context.Background(), "second")
	s.End(nil, nil)
	spanNamed(t, sr1.Ended(), "first")
	spanNamed(t, sr2.Ended(), "second")
	if len(sr1.Ended()) != 1 || len(sr2.Ended()) != 1 {
		t.Errorf("spans %d and %d, want 1 and 1", len(sr1.Ended()), len(sr2.Ended()))
	}
}

func TestIDGeneratorFallsBackToRandom(t *testing.T) {
	g := IDGenerator()
	t1, s1 := g.NewIDs(context.Background())
	t2, s2 := g.NewIDs(context.Background())
	if !t1.IsValid() || !s1.IsValid() || t1 == t2 || s1 == s2 {
		t.Errorf("random ids %v %v %v %v", t1, s1, t2, s2)
	}
	if s := g.NewSpanID(context.Background(), t1); !s.IsValid() || s == s1 {
		t.Errorf("random span id %v", s)
	}
	id := vmspan.SequentialIDs()()
	ctx := withIDs(context.Background(), vmspan.OTelTraceID(id), vmspan.OTelSpanID(id))
	if tid, sid := g.NewIDs(ctx); tid != vmspan.OTelTraceID(id) || sid != vmspan.OTelSpanID(id) {
		t.Errorf("NewIDs = %v %v, want the wanted ids", tid, sid)
	}
	if sid := g.NewSpanID(ctx, t1); sid != vmspan.OTelSpanID(id) {
		t.Errorf("NewSpanID = %v, want the wanted id", sid)
	}
}

// TestProviderLeavesGlobalsAlone: NewProvider sets neither the global
// TracerProvider nor the global propagator: a library does not change
// process-wide state unless asked.
func TestProviderLeavesGlobalsAlone(t *testing.T) {
	clearOTelEnv(t)
	prop, tp := otel.GetTextMapPropagator(), otel.GetTracerProvider()
	p, err := NewProvider(context.Background(), WithExporter(&memExporter{}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	if otel.GetTextMapPropagator() != prop || otel.GetTracerProvider() != tp {
		t.Error("NewProvider changed a global")
	}
	h := http.Header{}
	ctx := baggage.ContextWithBaggage(context.Background(), mustBaggage(t, "tenant=acme"))
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
	if len(h) != 0 {
		t.Errorf("the global propagator injected %v: it was set", h)
	}
}

func mustBaggage(t *testing.T, s string) baggage.Baggage {
	b, err := baggage.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
