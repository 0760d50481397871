// attempt.go holds StartAttempt: LLM provider attempts followed live.

package vmspan

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

// An Attempt is an LLM provider attempt in progress, started with
// StartAttempt. It exists for the sinks that follow attempts live
// (AttemptSink); the native trace records attempts in their LLM function
// span's end event (Span.AddAttempts). Its methods are no-ops on a nil
// *Attempt.
type Attempt struct {
	sink   AttemptSink
	fn     Event           // the LLM function span's start event
	ctx    context.Context // the attempt's ctx, as the sinks returned it
	parent trace.SpanID    // the OTel span of the function's ctx
	live   bool            // a sink extended the ctx
	ended  atomic.Bool
}

// StartAttempt starts an attempt of the LLM function whose span ctx
// carries (the ctx a FrameTracker gives an LLM call), before its request
// is sent; rec describes the attempt as far as it is known (client,
// provider, model, request parameters, server, start time). It returns the
// ctx to make the request with, which carries the attempt's OpenTelemetry
// span when a sink follows attempts (the OpenTelemetry bridge): a
// propagator injecting headers from it names that span, with its sampling
// decision, and an instrumented HTTP client puts its own span below it. The
// caller must End the Attempt exactly once, on every path.
//
// Without a bex span in ctx, or when no sink of the span follows attempts,
// StartAttempt returns ctx as it is.
func StartAttempt(ctx context.Context, rec *LLMAttempt) (context.Context, *Attempt) {
	s := SpanFromContext(ctx)
	if s == nil {
		return ctx, nil
	}
	as, ok := s.tree.sink.(AttemptSink)
	if !ok {
		return ctx, nil
	}
	s.mu.Lock()
	m := s.moreLocked()
	n := m.nAttempts
	m.nAttempts++
	s.mu.Unlock()
	a := &Attempt{sink: as, fn: s.startEvent(), parent: trace.SpanContextFromContext(ctx).SpanID()}
	a.ctx = as.StartAttempt(ctx, &a.fn, n, rec)
	a.live = a.ctx != ctx
	return a.ctx, a
}

// End ends the attempt with its complete record: its outcome, usage and
// duration, and whether its output was selected. When a sink exported the
// attempt, End sets rec.OTel to the ids it was exported with, so that the
// record, once added to the function span, carries them to other sinks.
// Only the first End has an effect.
func (a *Attempt) End(rec *LLMAttempt) {
	if a == nil || a.ended.Swap(true) {
		return
	}
	if a.live {
		if sc := trace.SpanContextFromContext(a.ctx); sc.IsValid() && sc.SpanID() != a.parent {
			rec.OTel = &OTelIDs{TraceID: sc.TraceID(), SpanID: sc.SpanID(), Parent: a.parent, Sampled: sc.IsSampled()}
		}
	}
	a.sink.EndAttempt(a.ctx, &a.fn, rec)
}
