package otelbridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/bexrun/bex/vmspan"
)

// runLiveLLM runs host span Handle -> root main -> LLM Extract, whose
// attempts are live (vmspan.StartAttempt), as the LLM layer makes them,
// and returns the ctx each attempt's request would be made with.
func runLiveLLM(f *fixture, fail error) []context.Context {
	hctx, h := f.tracer.Start(context.Background(), "Handle")
	root := f.tracer.StartSpan(hctx, "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	frames := vmspan.NewFrameTracker(hctx, root)
	frames.EnterFrame(&vmspan.Frame{Depth: 2, Name: "Extract", Kind: vmspan.KindLLM})
	ctx := frames.Context()
	var reqs []context.Context
	var recs []vmspan.LLMAttempt
	for _, a := range attemptsFor() {
		rec := a
		rec.Err, rec.Selected = nil, false // known at the end
		actx, att := vmspan.StartAttempt(ctx, &rec)
		reqs = append(reqs, actx)
		rec.Err, rec.Selected = a.Err, a.Selected
		att.End(&rec)
		recs = append(recs, rec)
	}
	vmspan.SpanFromContext(ctx).AddAttempts(recs...)
	var err error
	if fail != nil {
		err = fmt.Errorf("%w\n  at Extract (main.baml:3)", fail)
	}
	frames.ExitFrame(2, nil, err)
	frames.End(nil, err)
	h.End(nil, err)
	return reqs
}

// TestLiveAttempts: under the application's provider with random ids, each
// attempt's span exists before its request, carries the ids the request
// names, is a child of its function's span, and the records and end
// events hold the ids the provider chose.
func TestLiveAttempts(t *testing.T) {
	f := newFixture(t, true)
	reqs := runLiveLLM(f, nil)
	fn := f.span(t, "Extract")
	for i, name := range []string{"chat gpt-4o", "chat claude-sonnet"} {
		s := f.span(t, name)
		if got := trace.SpanContextFromContext(reqs[i]); got.SpanID() != s.SpanContext().SpanID() || got.TraceID() != s.SpanContext().TraceID() {
			t.Errorf("%s: the request's ctx names %v, the exported span is %v", name, got.SpanID(), s.SpanContext().SpanID())
		}
		checkParent(t, s, fn)
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("%s: kind %v", name, s.SpanKind())
		}
	}
	end := find(t, f.rec, vmspan.EventEnd, "Extract")
	for i, a := range end.Attempts {
		s := f.span(t, attemptName(&a))
		if a.OTel == nil || a.OTel.SpanID != s.SpanContext().SpanID() || a.OTel.Parent != fn.SpanContext().SpanID() || !a.OTel.Sampled {
			t.Errorf("attempt %d recorded %+v, exported %v under %v", i, a.OTel, s.SpanContext().SpanID(), fn.SpanContext().SpanID())
		}
	}
	for _, name := range []string{"Handle", "main", "Extract"} {
		e, s := find(t, f.rec, vmspan.EventEnd, name), f.span(t, name)
		if e.OTel == nil || e.OTel.SpanID != s.SpanContext().SpanID() || e.OTel.TraceID != s.SpanContext().TraceID() || e.OTel.Parent != s.Parent().SpanID() {
			t.Errorf("%s recorded %+v, exported %v/%v under %v", name, e.OTel, s.SpanContext().TraceID(), s.SpanContext().SpanID(), s.Parent().SpanID())
		}
	}
	if n := len(f.sr.Ended()); n != 5 {
		t.Errorf("%d spans, want 5 (the attempts once each)", n)
	}
}

// TestOneException: an error that arose in an attempt gets the exception
// event there; the function, root and host spans it failed have an error
// status and error.type but no exception event of their own.
func TestOneException(t *testing.T) {
	f := newFixture(t, false)
	runLiveLLM(f, fmt.Errorf("client Fast (openai): %s", attemptsFor()[0].Err.Message))
	checkStatus(t, f.span(t, "chat gpt-4o"), "429 Too Many Requests")
	for _, name := range []string{"Extract", "main", "Handle"} {
		s := f.span(t, name)
		if s.Status().Code != codes.Error || len(s.Events()) != 0 {
			t.Errorf("%s: status %v, events %v; want an error and no exception", name, s.Status(), s.Events())
		}
	}
	// An error that arises in the function itself (its reply cannot be
	// parsed) gets the exception there.
	g := newFixture(t, false)
	runLiveLLM(g, fmt.Errorf("cannot parse LLM output of Extract"))
	if s := g.span(t, "Extract"); len(s.Events()) != 1 || s.Events()[0].Name != semconv.ExceptionEventName {
		t.Errorf("Extract: events %v, want its own exception", s.Events())
	}
	if s := g.span(t, "main"); len(s.Events()) != 0 {
		t.Errorf("main: events %v, want none", s.Events())
	}
}

// TestReplayRecordedIDs: a run under the application's provider with
// random ids, replayed into a provider with IDGenerator, gives the same
// trace: the same trace id, span ids and parents for every span.
func TestReplayRecordedIDs(t *testing.T) {
	live := newFixture(t, true, WithContentCapture(true))
	runLiveLLM(live, nil)
	tp, sr := newRecorder(t, false)
	st, err := Export(context.Background(), seq(live.rec.Events()), WithTracerProvider(tp), WithContentCapture(true))
	if err != nil || st.Spans != 3 || st.Attempts != 2 {
		t.Fatalf("stats %+v, error %v", st, err)
	}
	if got, want := summarize(sr.Ended()), summarize(live.sr.Ended()); !equalSummaries(got, want) {
		t.Errorf("replayed trace differs:\n got %v\nwant %v", got, want)
	}
}

// TestReplaySkipsUnsampled: spans the live sampler dropped are not sent
// by a replay either.
func TestReplaySkipsUnsampled(t *testing.T) {
	id := vmspan.SequentialIDs()()
	e := vmspan.Event{Kind: vmspan.EventEnd, Span: vmspan.SpanContext{ID: id, Root: id}, Name: "dropped", Time: base, Start: base,
		OTel: &vmspan.OTelIDs{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}}}
	tp, sr := newRecorder(t, false)
	st, err := Export(context.Background(), seq([]vmspan.Event{e}), WithTracerProvider(tp))
	if err != nil || st.Unsampled != 1 || st.Spans != 0 || len(sr.Ended()) != 0 {
		t.Errorf("stats %+v, error %v, %d spans", st, err, len(sr.Ended()))
	}
}

// TestAttemptWithoutOpenFunction: an attempt whose function span the
// bridge never saw starts under the function's deterministic span context.
func TestAttemptWithoutOpenFunction(t *testing.T) {
	f := newFixture(t, false)
	id := vmspan.SequentialIDs()()
	fn := &vmspan.Event{Span: vmspan.SpanContext{ID: id, Root: id}, TraceID: vmspan.OTelTraceID(id)}
	a := vmspan.LLMAttempt{Model: "m", Start: base, Duration: time.Millisecond}
	ctx := f.bridge.StartAttempt(context.Background(), fn, 0, &a)
	f.bridge.EndAttempt(ctx, fn, &a)
	f.bridge.EndAttempt(context.Background(), fn, &a) // not an attempt's ctx: ignored
	s := f.span(t, "chat m")
	if s.Parent().SpanID() != vmspan.OTelSpanID(id) || s.SpanContext().SpanID() != vmspan.AttemptSpanID(id, 0) {
		t.Errorf("parent %v, id %v", s.Parent().SpanID(), s.SpanContext().SpanID())
	}
}
