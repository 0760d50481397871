package otelbridge

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/bexrun/bex/vmspan"
)

// runStreamedLLM runs root main -> LLM Extract with one live streamed
// attempt, as the LLM layer makes it: its record says it streams when it
// starts, and holds the stream's details when it ends.
func runStreamedLLM(f *fixture, stream *vmspan.StreamInfo) {
	root := f.tracer.StartSpan(context.Background(), "main", vmspan.StartConfig{Kind: vmspan.KindRoot})
	frames := vmspan.NewFrameTracker(context.Background(), root)
	frames.EnterFrame(&vmspan.Frame{Depth: 1, Name: "Extract", Kind: vmspan.KindLLM})
	ctx := frames.Context()
	rec := attemptsFor()[1]
	rec.Selected, rec.Stream = false, &vmspan.StreamInfo{}
	_, att := vmspan.StartAttempt(ctx, &rec)
	vmspan.SpanFromContext(ctx).Partial(map[string]any{"name": "An"}) // a partial event: no span event
	rec.Selected, rec.Stream = true, stream
	att.End(&rec)
	vmspan.SpanFromContext(ctx).AddAttempts(rec)
	frames.ExitFrame(1, nil, nil)
	frames.End(nil, nil)
}

// A streamed attempt's span says it streamed from its start, and records
// its time to first chunk (the GenAI conventions' attribute, in seconds),
// its chunks, and one event at the first chunk; a replay of the recorded
// events gives the same span.
func TestStreamedAttempt(t *testing.T) {
	st := &vmspan.StreamInfo{FirstChunk: 40 * time.Millisecond, Chunks: 12}
	f := newFixture(t, false)
	runStreamedLLM(f, st)
	check := func(t *testing.T, s sdktrace.ReadOnlySpan) {
		t.Helper()
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
		}
		if !attrs[semconv.GenAIRequestStreamKey].AsBool() || attrs[semconv.GenAIResponseTimeToFirstChunkKey].AsFloat64() != 0.04 ||
			attrs[KeyLLMChunks].AsInt64() != 12 {
			t.Errorf("attributes %v", s.Attributes())
		}
		ev := s.Events()
		if len(ev) != 1 || ev[0].Name != EventFirstChunk || !ev[0].Time.Equal(attemptsFor()[1].Start.Add(40*time.Millisecond)) {
			t.Errorf("events %v, want one %s at the first chunk", ev, EventFirstChunk)
		}
	}
	check(t, f.span(t, "chat claude-sonnet"))
	if ev := f.span(t, "main").Events(); len(ev) != 0 {
		t.Errorf("the function span has events %v: partial values are not exported", ev)
	}
	tp, sr := newRecorder(t, false)
	if _, err := Export(context.Background(), seq(f.rec.Events()), WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	for _, s := range sr.Ended() {
		if s.Name() == "chat claude-sonnet" {
			check(t, s)
		}
	}
	// A plain attempt says nothing of streams.
	g := newFixture(t, false)
	runLiveLLM(g, nil)
	for _, kv := range g.span(t, "chat claude-sonnet").Attributes() {
		if kv.Key == semconv.GenAIRequestStreamKey || kv.Key == semconv.GenAIResponseTimeToFirstChunkKey || kv.Key == KeyLLMChunks {
			t.Errorf("a plain attempt has %v", kv)
		}
	}
}
